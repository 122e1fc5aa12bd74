import { describe, expect, it } from 'vitest';
import { canonicalJson, eventId, hashEventId, parseTrackingLogLine } from '../src/lib.ts';

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
