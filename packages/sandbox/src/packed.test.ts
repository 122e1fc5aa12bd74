import { describe, expect, it } from 'vitest';
import {
  isPackedCalls,
  isPackedResults,
  isPackedView,
  packAnswers,
  packCalls,
  packRequests,
  packResults,
  unpackCalls,
  unpackResults,
  unpackView,
} from './packed.ts';
import type { ParentMessage, RequestMessage } from './protocol.ts';

type CallMessage = Extract<RequestMessage, { type: 'call' }>;

const call = (id: number, name: string, args: unknown, kind: 'query' | 'view' = 'query'): CallMessage => ({
  id,
  type: 'call',
  kind,
  name,
  args,
  deadline: 1_700_000_000_123.5,
  progress: id % 2 === 0,
});

function results(bytes: Uint8Array): [number, string][] {
  const out: [number, string][] = [];
  expect(unpackResults(bytes, (id, json) => out.push([id, Buffer.from(json).toString()]))).toBe(true);
  return out;
}

describe('packed calls and results', () => {
  it('round-trips calls: ids, kinds, deadlines, progress, non-ASCII names and arguments', () => {
    const calls = [call(1, 'echo', { x: 1 }), call(2, 'vüe', { s: 'ünï ✓', n: [1, null] }, 'view'), call(4_000_000_000, 'e', {})];
    const packed = packCalls(
      calls,
      calls.map((c) => JSON.stringify(c.args)),
    );
    expect(isPackedCalls(packed)).toBe(true);
    expect(isPackedResults(packed)).toBe(false);
    // Its own ArrayBuffer: structured clone copies a view's whole buffer.
    expect(packed.buffer.byteLength).toBe(packed.length);
    expect(unpackCalls(packed)).toEqual(calls);
  });

  it('reads calls from a plain Uint8Array (what a worker receives)', () => {
    const packed = packCalls([call(7, 'echo', null)], ['{"x":2}']);
    const copy = new Uint8Array(packed);
    expect(unpackCalls(copy)).toEqual([{ ...call(7, 'echo', { x: 2 }), progress: false }]);
  });

  it('round-trips results given as text or bytes, views without copies', () => {
    const packed = packResults([
      { id: 3, encoded: '{"x":"é"}' },
      { id: 9, encoded: Buffer.from('[1,2]') },
      { id: 10, encoded: 'null' },
    ]);
    expect(isPackedResults(packed)).toBe(true);
    expect(results(packed)).toEqual([
      [3, '{"x":"é"}'],
      [9, '[1,2]'],
      [10, 'null'],
    ]);
    unpackResults(packed, (_id, json) => expect(json.buffer).toBe(packed.buffer));
  });

  it('refuses malformed results from a sandbox as a whole, without reading out of bounds', () => {
    const good = packResults([
      { id: 1, encoded: '1' },
      { id: 2, encoded: '22' },
    ]);
    const seen: number[] = [];
    const each = (id: number) => seen.push(id);
    // Cut short, in a header and in a body.
    expect(unpackResults(good.subarray(0, good.length - 1), each)).toBe(false);
    expect(unpackResults(good.subarray(0, 1 + 8 + 1 + 3), each)).toBe(false);
    // A length past the end.
    const lying = Buffer.from(good);
    lying.writeUInt32LE(0xffffffff, 1 + 4);
    expect(unpackResults(lying, each)).toBe(false);
    expect(seen).toEqual([]);
    // Only the tag: no results, not an error.
    expect(unpackResults(good.subarray(0, 1), each)).toBe(true);
  });

  it('packs each run of calls in place, keeping the order of the messages around them', () => {
    const names: ParentMessage = { type: 'names', query: ['echo'], view: [] };
    const cancel: ParentMessage = { type: 'cancel', id: 1, code: 'CANCELLED' };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const queue: ParentMessage[] = [
      names,
      call(1, 'a', { x: 1 }),
      call(2, 'b', {}),
      cancel,
      call(3, 'c', cyclic),
      call(4, 'd', []),
    ];
    const batch = packRequests(queue);
    expect(batch).toHaveLength(5);
    expect(batch[0]).toBe(names);
    expect(unpackCalls(batch[1] as Uint8Array).map((c) => c.id)).toEqual([1, 2]);
    expect(batch[2]).toBe(cancel);
    // Arguments that are not JSON stay a message (the sandbox's validation reports them).
    expect(batch[3]).toBe(queue[4]);
    expect(unpackCalls(batch[4] as Uint8Array)).toEqual([call(4, 'd', [])]);
  });

  it("forwards a call's received JSON bytes as they are, not an encoding of its args", () => {
    // Bytes a re-encoding would change (spacing, an escape): what arrives in the sandbox is what the caller sent.
    const sent = Buffer.from('{ "x" : 1, "s": "\\u00e9" }');
    const received = sent.subarray(0); // a view, as into a gRPC frame
    const batch = packRequests([{ ...call(1, 'a', { ignored: true }), argsJson: received }, call(2, 'b', { y: 2 })]);
    expect(batch).toHaveLength(1);
    const packed = Buffer.from(batch[0] as Uint8Array);
    expect(packed.includes(sent)).toBe(true);
    expect(unpackCalls(packed).map((c) => c.args)).toEqual([{ x: 1, s: 'é' }, { y: 2 }]);
  });

  it('drops the host-only argument bytes from a call that travels as a message', () => {
    const memo = { ...call(1, 'm', { x: 1 }), memoScope: 'alice', argsJson: Buffer.from('{"x":1}') };
    const batch = packRequests([memo]);
    expect(batch).toEqual([{ ...memo, argsJson: undefined }]);
  });

  it('packs each run of JSON results in place among a sandbox answers', () => {
    const log = { type: 'log', level: 'info', msg: 'hi', fields: undefined } as const;
    const failed = { type: 'failed', id: 3, error: { code: 'INTERNAL', message: 'x' } } as const;
    const batch = packAnswers([
      { type: 'result', id: 1, encoded: '1' },
      log,
      { type: 'result', id: 2, encoded: '2' },
      { type: 'result', id: 4, encoded: '4' },
      failed,
    ]);
    expect(batch).toHaveLength(4);
    expect(results(batch[0] as Uint8Array)).toEqual([[1, '1']]);
    expect(batch[1]).toBe(log);
    expect(results(batch[2] as Uint8Array)).toEqual([
      [2, '2'],
      [4, '4'],
    ]);
    expect(batch[3]).toBe(failed);
  });

  it('cuts runs of results at 8 MiB (a string counted at its most UTF-8 bytes), so a buffer is one result or several up to that', () => {
    const mib = 1024 * 1024;
    const text = 'x'.repeat(2 * mib); // counted as 6 MiB
    const bytes = Buffer.alloc(3 * mib);
    const big = Buffer.alloc(20 * mib);
    const batch = packAnswers([
      { type: 'result', id: 1, encoded: text },
      { type: 'result', id: 2, encoded: bytes },
      { type: 'result', id: 3, encoded: bytes },
      { type: 'result', id: 4, encoded: big },
      { type: 'result', id: 5, encoded: '5' },
    ]);
    const ids = batch.map((b) => results(b as Uint8Array).map(([id]) => id));
    expect(ids).toEqual([[1], [2, 3], [4], [5]]);
  });

  it('packs a view result alone, as its content type and body; refuses a malformed one', () => {
    const log = { type: 'log', level: 'info', msg: 'hi', fields: undefined } as const;
    const data = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const batch = packAnswers([{ type: 'view-result', id: 9, contentType: 'image/png', data }, log]);
    expect(batch).toHaveLength(2);
    expect(isPackedView(batch[0])).toBe(true);
    expect(isPackedResults(batch[0])).toBe(false);
    const v = unpackView(batch[0] as Uint8Array);
    expect(v).toMatchObject({ id: 9, contentType: 'image/png' });
    expect(Buffer.from(v!.data)).toEqual(data);
    expect(batch[1]).toBe(log);
    expect(unpackView(Buffer.from([0x56, 1, 0, 0, 0, 200, 1]))).toBeUndefined();
    expect(unpackView(Buffer.from([0x56, 1]))).toBeUndefined();
  });
});
