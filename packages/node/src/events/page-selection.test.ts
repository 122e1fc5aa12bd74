import type { HandlerRef } from '@insights/runtime';
import type { EventEnvelope } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { encodePage } from './event-page.ts';
import { bucketOf, partitionOf } from './partition-key.ts';
import { viewPage } from './page-reading.ts';
import { readPageFor as readPageForView, type PagePick } from './page-selection.ts';

const limits = { maxEventBytes: 4096, maxJsonDepth: 16 };
const event = (i: number, type: string): EventEnvelope => ({
  id: `e${i}`,
  time: '2026-01-05T10:00:00Z',
  source: 'edx',
  type,
  actor: `u${i}`,
  payload: { i },
  raw: {},
});
const events = Array.from({ length: 40 }, (_, i) => event(i, ['a', 'b.c', 'd'][i % 3]!));
const handler = (types: string[], sources: string[] = []) =>
  ({ module: 'm', name: 'h', types, sources, meta: {} }) as unknown as HandlerRef;
const page = (list: EventEnvelope[], lines = list.map((e) => Buffer.from(JSON.stringify(e)))) => encodePage(list, lines).data;
const readPageFor = (data: Uint8Array, pick: PagePick, l: typeof limits) => readPageForView(viewPage(data, l), pick);
const ids = (r: ReturnType<typeof readPageFor>) => (r.type === 'page' ? r.events.map((e) => e.event.id) : r.error);

describe('events - the events of a page a reader takes', () => {
  it('takes the events of its types and sources, with their index in the page', () => {
    const r = readPageFor(page(events), { handler: handler(['b.*', 'd']) }, limits);
    expect(ids(r)).toEqual(events.filter((e) => e.type !== 'a').map((e) => e.id));
    expect(r.type === 'page' && r.events[0]!.index).toBe(1);
    expect(ids(readPageFor(page(events), { handler: handler([], ['moodle']) }, limits))).toEqual([]);
    expect(ids(readPageFor(page(events), { handler: handler([], ['edx']) }, limits))).toHaveLength(40);
  });

  it('a partition takes its keys by the index alone, or by the event where the index cannot tell', () => {
    const byIndex = (p: number) =>
      ids(readPageFor(page(events), { handler: handler([]), ownsEntry: (entry) => entry[1] % 8 === p }, limits));
    const all = Array.from({ length: 8 }, (_, p) => byIndex(p));
    expect(all.flat().sort()).toEqual(events.map((e) => e.id).sort());
    expect(all[3]).toEqual(events.filter((e) => partitionOf(e, 'actor', 8) === 3).map((e) => e.id));
    const byEvent = ids(
      readPageFor(
        page(events),
        { handler: handler([]), ownsEntry: () => undefined, ownsEvent: (e) => partitionOf(e, 'actor', 6) === 5 },
        limits,
      ),
    );
    expect(byEvent).toEqual(events.filter((e) => partitionOf(e, 'actor', 6) === 5).map((e) => e.id));
  });

  it('an event that is none is refused by the reader whose it is, with its bytes; a page that is none, whole', () => {
    const list = [event(1, 'a'), event(2, 'a'), event(3, 'a')];
    const lines = list.map((e) => Buffer.from(JSON.stringify(e)));
    lines[1] = Buffer.from('{"id":');
    const owner = bucketOf(list[1]!, 'actor') % 8;
    const read = (p: number) =>
      readPageFor(page(list, lines), { handler: handler([]), ownsEntry: (entry) => entry[1] % 8 === p }, limits);
    const mine = read(owner);
    expect(mine.type === 'page' && mine.refused).toEqual([
      { index: 1, reason: expect.stringMatching(/^event is not JSON/), shown: { event: '{"id":' } },
    ]);
    expect(read((owner + 1) % 8)).toMatchObject({ refused: [] });
    expect(readPageFor(Buffer.from('x\n{}'), { handler: handler([]) }, limits)).toMatchObject({
      type: 'invalid',
      error: expect.stringMatching(/^page refused: its index is not JSON/),
    });
  });
});
