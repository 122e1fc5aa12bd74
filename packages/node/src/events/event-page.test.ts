import type { EventEnvelope } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { pageEvent, readPage } from './page-reading.ts';
import { encodePage, isPageSubject, pageMsgId, pageSubject } from './event-page.ts';
import { bucketOf } from './partition-key.ts';

const limits = { maxEventBytes: 4096, maxJsonDepth: 16 };
const event = (i: number, type = 'tick'): EventEnvelope => ({
  id: `e${i}`,
  time: '2026-01-05T10:00:00Z',
  source: 'edx',
  type,
  actor: `u${i}`,
  course: 'c1',
  payload: { i, text: 'line\nbreak' },
  raw: {},
});
const page = (events: EventEnvelope[]) =>
  encodePage(
    events,
    events.map((e) => Buffer.from(JSON.stringify(e))),
  );
const text = (s: string) => new TextEncoder().encode(s);

describe('events - a page of events in one message', () => {
  it('round-trips: every event read back as written, with its type and buckets in the index', () => {
    const events = [event(1), event(2, 'video.play'), event(3)];
    const m = page(events);
    expect(m.subject).toBe('insights.events.=.edx');
    expect(m.events).toBe(3);
    const r = readPage(m.data);
    if (!r.ok) throw new Error(r.reason);
    expect(r.page.index.types).toEqual(['tick', 'video.play']);
    expect(r.page.index.events[1]).toEqual([
      1,
      bucketOf(events[1]!, 'actor'),
      bucketOf(events[1]!, 'course'),
      bucketOf(events[1]!, 'resource'),
    ]);
    expect(events.map((_, i) => pageEvent(r.page, i, limits))).toEqual(events.map((e) => ({ ok: true, event: e })));
  });

  it('its subject is its own layout, and its id follows its events: the same events give the same id', () => {
    expect(isPageSubject(pageSubject('a b'))).toBe(true);
    expect(pageSubject('a b')).toBe('insights.events.=.a_b');
    expect(isPageSubject('insights.events.~.1.2.3.edx.tick')).toBe(false);
    expect(isPageSubject('insights.events.edx.tick')).toBe(false);
    expect(pageMsgId([event(1), event(2)])).toBe(pageMsgId([event(1), event(2)]));
    expect(pageMsgId([event(1), event(2)])).not.toBe(pageMsgId([event(2), event(1)]));
    expect(pageMsgId([event(1), event(2)])).not.toBe(pageMsgId([event(1), event(2), event(3)]));
  });

  it('refuses a page as a whole when it is not one: no index, a wrong count, too many events', () => {
    const reason = (data: Uint8Array) => {
      const r = readPage(data);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason(text('not json\n{}'))).toMatch(/^page refused: its index is not JSON/);
    expect(reason(text('[1,2]\n{}'))).toMatch(/its index has no source/);
    const index = (n: number) =>
      JSON.stringify({ source: 'edx', types: ['t'], events: Array.from({ length: n }, () => [0, 1, 2, 3]) });
    expect(reason(text(`${index(3)}\n{}\n{}`))).toBe('page refused: its index names 3 events but it holds 2');
    expect(reason(text(`${index(1)}\n{}\n{}`))).toBe("page refused: it holds more event lines than its index's 1");
    expect(reason(text(`${index(513)}\n{}`))).toMatch(/lists 513 events, over the 512 a page may hold/);
    expect(reason(text(JSON.stringify({ source: 'edx', types: ['t'], events: [[1, 0, 0, 0]] }) + '\n{}'))).toMatch(
      /entry \[1,0,0,0\] is not \[type, actor, course, resource bucket\]/,
    );
    expect(reason(text(JSON.stringify({ source: 'edx', types: ['t'], events: [[0, 64, 0, 0]] }) + '\n{}'))).toMatch(
      /is not \[type/,
    );
    expect(reason(text(`${index(1)}`))).toBe('page refused: its index names 1 events but it holds 0');
    expect(reason(text(`${'['.repeat(5)}`))).toBe('page refused: its index is deeper than 3');
    expect(reason(text(`"${'x'.repeat(300 * 1024)}"\n{}`))).toBe('page refused: its index is over 262144 bytes');
  });

  it('reads each event alone: the per-event limits, its shape, and what the index says of it', () => {
    const big = { ...event(2), payload: 'x'.repeat(5000) };
    const lying = { ...event(3), type: 'other' };
    const events = [event(1), big, lying, event(4)];
    const encoded = [event(1), big, event(3), event(4)].map((e) => Buffer.from(JSON.stringify(e)));
    encoded[2] = Buffer.from(JSON.stringify(lying));
    encoded[3] = Buffer.from('{"id":');
    const r = readPage(encodePage([event(1), big, event(3), event(4)], encoded).data);
    if (!r.ok) throw new Error(r.reason);
    expect(pageEvent(r.page, 0, limits)).toEqual({ ok: true, event: events[0] });
    expect(pageEvent(r.page, 1, limits)).toMatchObject({ ok: false, reason: expect.stringMatching(/limits\.maxEventBytes/) });
    expect(pageEvent(r.page, 2, limits)).toEqual({
      ok: false,
      reason: 'event 2 of a page: its type other is not tick as the index says',
    });
    expect(pageEvent(r.page, 3, limits)).toMatchObject({ ok: false, reason: expect.stringMatching(/^event is not JSON/) });
  });
});
