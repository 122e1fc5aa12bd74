import type { EventEnvelope } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { ownCopies, rememberStoredJson, storedJsonArray } from './stored-json.ts';

const stored = (i: number): EventEnvelope => {
  const json = Buffer.from(JSON.stringify({ id: `e${i}`, time: 't', source: 's', type: 'x', payload: { i }, raw: {} }));
  const e = JSON.parse(json.toString()) as EventEnvelope;
  rememberStoredJson(e, json);
  return e;
};

describe('events - the JSON events were stored as, passed on', () => {
  it('makes one JSON array of stored events', () => {
    const events = [stored(1), stored(2), stored(3)];
    expect(JSON.parse(storedJsonArray(events)!.toString())).toEqual(events);
    expect(storedJsonArray([])!.toString()).toBe('[]');
  });

  it('has none when one event was not read from the stream', () => {
    const derived: EventEnvelope = { id: 'd', time: 't', source: 's', type: 'x', payload: {}, raw: {} };
    expect(storedJsonArray([stored(1), derived])).toBeUndefined();
    expect(ownCopies([derived])[0]).toBe(derived);
  });

  it("gives the first handler the events, the next ones copies: one handler's changes are not another's", () => {
    const shared = [stored(1)];
    const first = ownCopies(shared);
    expect(first[0]).toBe(shared[0]);
    (first[0]!.payload as { i: number }).i = 99;
    const second = ownCopies(shared);
    expect(second[0]).not.toBe(shared[0]);
    expect(second[0]!.payload).toEqual({ i: 1 });
  });
});
