import type { EventEnvelope } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { pagedMessages } from './page-grouping.ts';
import { readPage } from './page-reading.ts';
import { subjectFor } from './subjects.ts';

const event = (i: number, source = 'edx', type = 'tick', payload: unknown = { i }): EventEnvelope => ({
  id: `e${i}`,
  time: '2026-01-05T10:00:00Z',
  source,
  type,
  actor: `u${i % 7}`,
  payload,
  raw: {},
});
const limits = { maxEvents: 4, maxBytes: 64 * 1024 };
const ids = (data: Uint8Array) => {
  const r = readPage(data);
  if (!r.ok) throw new Error(r.reason);
  return r.page.starts.map(
    (s, i) => (JSON.parse(Buffer.from(r.page.data.subarray(s, r.page.ends[i])).toString()) as EventEnvelope).id,
  );
};

describe('events - a batch grouped into pages', () => {
  it('consecutive events of one source share pages of at most maxEvents, in input order, types mixed', () => {
    const events = Array.from({ length: 10 }, (_, i) => event(i, 'edx', i % 2 === 0 ? 'a' : 'b'));
    const out = pagedMessages(events, limits);
    expect(out.map((m) => m.events ?? 1)).toEqual([4, 4, 2]);
    expect(out.flatMap((m) => ids(m.data))).toEqual(events.map((e) => e.id));
    expect(new Set(out.map((m) => m.subject))).toEqual(new Set(['insights.events.=.edx']));
  });

  it('a change of source ends a page; a run of one stays an ordinary keyed message with its own id', () => {
    const events = [event(1), event(2), event(3, 'moodle'), event(4), event(5)];
    const out = pagedMessages(events, limits);
    expect(out.map((m) => [m.subject, m.events ?? 1])).toEqual([
      ['insights.events.=.edx', 2],
      [subjectFor(events[2]!), 1],
      ['insights.events.=.edx', 2],
    ]);
    expect(out[1]).toEqual({ subject: subjectFor(events[2]!), data: Buffer.from(JSON.stringify(events[2])), msgId: 'e3' });
  });

  it('pages stay under maxBytes; an event too large to share one goes alone', () => {
    const big = 'x'.repeat(20_000);
    const events = [
      event(1, 'edx', 't', big),
      event(2, 'edx', 't', big),
      event(3, 'edx', 't', big),
      event(4, 'edx', 't', 'x'.repeat(70_000)),
      event(5),
      event(6),
    ];
    const out = pagedMessages(events, { maxEvents: 500, maxBytes: 50_000 });
    for (const m of out) if ((m.events ?? 1) > 1) expect(m.data.length).toBeLessThanOrEqual(50_000);
    expect(out.map((m) => m.events ?? 1)).toEqual([2, 1, 1, 2]);
    expect(out[2]!.msgId).toBe('e4');
  });

  it('is deterministic: the same batch gives the same messages and ids, so a re-sent chunk is a duplicate', () => {
    const events = Array.from({ length: 9 }, (_, i) => event(i));
    expect(pagedMessages(events, limits)).toEqual(
      pagedMessages(
        events.map((e) => ({ ...e })),
        limits,
      ),
    );
  });
});
