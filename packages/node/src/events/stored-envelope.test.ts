import { describe, expect, it } from 'vitest';
import { storedJsonArray } from '@insights/runtime/internal';
import { readStoredEnvelope } from './stored-envelope.ts';

const limits = { maxEventBytes: 1024, maxJsonDepth: 8 };
const read = (text: string) => readStoredEnvelope(new TextEncoder().encode(text), limits);
const envelope = { id: 'e1', time: '2026-01-05T10:00:00Z', source: 'test', type: 'tick', payload: { a: 1 }, raw: {} };

describe('events - an envelope read from the stream', () => {
  it('reads a stored envelope as the SDK describes it', () => {
    expect(read(JSON.stringify(envelope))).toEqual({ ok: true, event: envelope });
  });

  it('refuses with a reason naming the limit or the field at fault', () => {
    expect(read('null')).toMatchObject({ ok: false, reason: expect.stringMatching(/^event is not an envelope: \(root\)/) });
    expect(read(JSON.stringify({ ...envelope, hops: -1 }))).toMatchObject({ reason: expect.stringMatching(/: hops: /) });
    expect(read(JSON.stringify({ ...envelope, id: 5 }))).toMatchObject({ reason: expect.stringMatching(/: id: /) });
    expect(read('{"id":')).toMatchObject({ reason: expect.stringMatching(/^event is not JSON/) });
    expect(read(`"${'x'.repeat(2000)}"`)).toMatchObject({ reason: expect.stringMatching(/limits\.maxEventBytes/) });
    expect(read('['.repeat(9))).toMatchObject({ reason: expect.stringMatching(/limits\.maxJsonDepth/) });
  });

  it('keeps only the fields an envelope has, and refuses what its schema refuses', () => {
    expect(read(JSON.stringify({ ...envelope, extra: 1, actor: 'u1', hops: 2 }))).toEqual({
      ok: true,
      event: { ...envelope, actor: 'u1', hops: 2 },
    });
    for (const [field, value] of [
      ['hops', 1.5],
      ['hops', -1],
      ['actor', null],
      ['course', 5],
      ['type', ''],
      ['source', null],
      ['raw', undefined],
      ['payload', undefined],
    ] as const)
      expect(read(JSON.stringify({ ...envelope, [field]: value })), field).toMatchObject({
        ok: false,
        reason: expect.stringContaining(`: ${field}: `),
      });
  });

  it('remembers the bytes of an envelope for a sandbox only when they are exactly it', () => {
    const stored = (text: string) => {
      const r = read(text);
      return r.ok ? storedJsonArray([r.event]) : undefined;
    };
    expect(JSON.parse(stored(JSON.stringify(envelope))!.toString())).toEqual([envelope]);
    // A field an envelope does not have (anyone may publish on the subject), or a prototype key: re-encoded instead.
    expect(stored(JSON.stringify({ ...envelope, admin: true }))).toBeUndefined();
    expect(stored(JSON.stringify(envelope).replace('{', '{"__proto__":{"admin":true},'))).toBeUndefined();
  });
});
