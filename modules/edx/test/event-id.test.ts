import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventId, hashEventId, parseTrackingLogLine, readTrackingLog, tryNormalise } from '../src/lib.ts';
import { FIXTURES, HAS_REAL_DATA, NO_REAL_DATA_MESSAGE, REAL_DATA } from './helpers.ts';

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"z":1}]},"b":1}');
  });

  it('matches JSON.stringify of a key-sorted copy for edge values', () => {
    expect(canonicalJson([undefined, NaN, Infinity, -0, 1e21, 'é"\n', null, true, new Date(0)])).toBe(
      JSON.stringify([null, null, null, 0, 1e21, 'é"\n', null, true, new Date(0)]),
    );
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('does not depend on key order', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });
});

describe('event id', () => {
  it('is the same for the same event however it was framed or ordered', () => {
    const plain = parseTrackingLogLine('{"event_type": "a", "time": "2024-01-01T00:00:00", "event": {"x": 1, "y": 2}}', 1);
    const prefixed = parseTrackingLogLine(
      '2024-01-01 00:00:00,000 INFO - {"event": {"y": 2, "x": 1}, "time": "2024-01-01T00:00:00", "event_type": "a"}',
      1,
    );
    if (plain.kind !== 'event' || prefixed.kind !== 'event') throw new Error('fixture lines must parse');
    expect(eventId(plain.event)).toBe(eventId(prefixed.event));
    expect(eventId(plain.event)).toMatch(/^[0-9a-f]{32}$/);
    expect(eventId({ ...plain.event, time: '2024-01-01T00:00:01' })).not.toBe(eventId(plain.event));
  });

  it('uses the own id of xAPI statements and Caliper events only', () => {
    expect(eventId({ id: 'st-1', actor: {}, verb: {}, object: {} })).toBe('st-1');
    expect(eventId({ id: 'urn:uuid:1', '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p2', action: 'Viewed' })).toBe(
      'urn:uuid:1',
    );
    expect(eventId({ id: 'not-an-event-id', event_type: 'x' })).toBe(hashEventId({ id: 'not-an-event-id', event_type: 'x' }));
  });
});

/** Event ids are JetStream message ids: a re-imported log dedupes only if they never change. */
describe('event id - pinned', () => {
  async function idsOf(file: string): Promise<Record<number, string>> {
    const ids: Record<number, string> = {};
    for await (const l of readTrackingLog(path.join(FIXTURES, file))) {
      if (l.kind !== 'event') continue;
      const r = tryNormalise(l.event);
      if (r.ok) ids[l.line] = r.envelope.id;
    }
    return ids;
  }

  it('keeps the ids of our fixture events', async () => {
    expect(await idsOf('tracking-plain.log')).toEqual({
      3: '2ef0fac317f3e000e66600d12d3522b1',
      4: 'fcd7a1f5108a973261f77e4f7a87d6f6',
      6: 'd685523813b6c8e6435db94c13d095bf',
      9: 'b3453bbc48563f18d83fc9946600c70c',
    });
    expect(await idsOf('tracking-tutor.log')).toEqual({
      1: 'dd71699e76eaabf225b0537d310b53bb',
      3: '8f9c4f60828ffe92bc0df33fc6d389ac',
    });
    const processed: unknown = JSON.parse(readFileSync(path.join(FIXTURES, 'processed-event.json'), 'utf8'));
    expect(eventId(processed)).toBe('b9be74eea29c42522a1469e1396aa45c');
  });

  it('keeps the ids of escapes, non-ASCII text, numbers, lists, integer-like keys and dropped members', () => {
    expect(eventId(JSON.parse('{"event_type": "a", "time": "2024-01-01T00:00:00", "event": {"x": 1, "y": 2}}'))).toBe(
      '20fcb7b7c5c0443e8521ed06be6fd563',
    );
    const odd =
      '{"username": "zo\u00eb", "event_type": "problem_graded", "event": ["input_i4x-a_2_1=42", "<p>\\"quoted\\" \\\\ tab\\t</p>"], ' +
      '"context": {"user_id": 7, "module": {"usage_key": "block-v1:a+b+c+type@problem+block@p", "display_name": "Q1 \\u2013 \u2603"}, ' +
      '"10": true, "2": null, "course_id": "course-v1:a+b+c"}, "time": "2024-01-01T00:00:00.5+00:00", "n": [1e21, -0, 0.1, -1.5e-7]}';
    expect(eventId(JSON.parse(odd))).toBe('87372dadd9a648d7c0bfdf30f496f781');
    expect(
      eventId({ time: '2024-01-01T00:00:00', event_type: 'b', skipped: undefined, nested: [{ z: 1, a: [{ d: 1, c: 2 }] }] }),
    ).toBe('9d0fa90f057d0ad8947a18954276c494');
  });
});

describe('event id - every real event', () => {
  it.skipIf(!HAS_REAL_DATA)('gets the SDK hash of its canonical JSON (lines with and without a logging prefix)', async () => {
    const dir = path.join(REAL_DATA, 'edx-tracking');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => path.join(dir, f));
    files.push(path.join(REAL_DATA, 'event-routing-backends', 'tutor-tracking.log'));
    let events = 0;
    for (const file of files) {
      for await (const l of readTrackingLog(file)) {
        if (l.kind !== 'event') continue;
        events++;
        expect(eventId(l.event)).toBe(hashEventId(l.event));
      }
    }
    expect(events).toBeGreaterThan(2318);
  });
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});
});
