import type { EventEnvelope } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { encodePage } from './event-page.ts';
import { PageCache } from './page-cache.ts';

const limits = { maxEventBytes: 4096, maxJsonDepth: 16 };
const event = (i: number, source = 'edx'): EventEnvelope => ({
  id: `e${i}`,
  time: '2026-01-05T10:00:00Z',
  source,
  type: 'a',
  actor: `u${i}`,
  payload: { i },
  raw: {},
});
const page = (list: EventEnvelope[]) =>
  encodePage(
    list,
    list.map((e) => Buffer.from(JSON.stringify(e))),
  ).data;
/** What each consumer gets: its own copy of the message's bytes. */
const copy = (data: Uint8Array) => new Uint8Array(data);

describe('events - a node reads each page once for all its handlers', () => {
  it('gives every handler the same page and the same envelopes, each event read once', () => {
    const cache = new PageCache(limits);
    const data = page([event(1), event(2)]);
    const first = cache.read(7, copy(data));
    const second = cache.read(7, copy(data));
    expect(second).toBe(first);
    const e = first.event(1);
    expect(e).toMatchObject({ ok: true, event: { id: 'e2' } });
    expect(second.event(1)).toBe(e);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('reads a page again when other bytes come at the same sequence (a stream made again)', () => {
    const cache = new PageCache(limits);
    cache.read(1, page([event(1)]));
    const other = cache.read(1, page([event(9)]));
    expect(other.event(0)).toMatchObject({ ok: true, event: { id: 'e9' } });
    expect(cache.misses).toBe(2);
  });

  it('holds at most its capacity, dropping the page read least recently', () => {
    const cache = new PageCache(limits, 2);
    const pages = [1, 2, 3].map((i) => page([event(i)]));
    cache.read(1, pages[0]!);
    cache.read(2, pages[1]!);
    cache.read(1, pages[0]!); // 1 is now the most recent
    cache.read(3, pages[2]!); // drops 2
    cache.read(1, pages[0]!);
    expect(cache.hits).toBe(2);
    cache.read(2, pages[1]!);
    expect(cache.misses).toBe(4);
  });

  it('keeps a refused page refused for every handler', () => {
    const cache = new PageCache(limits);
    const bad = Buffer.from('not an index\n{}');
    expect(cache.read(4, bad).reading).toMatchObject({ ok: false });
    expect(cache.read(4, copy(bad)).reading).toMatchObject({ ok: false, reason: expect.stringMatching(/^page refused/) });
  });
});
