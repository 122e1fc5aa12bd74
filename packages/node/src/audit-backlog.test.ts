import { createLogger, type LogRecord } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { AuditBacklog, MAX_MESSAGE_BYTES, MAX_RECORDS_PER_MESSAGE } from './audit-backlog.ts';
import { encodeAuditRecord, MAX_RECORD_BYTES } from './audit-record.ts';

const record = (i: number, args: unknown = { user: `u${i}` }) =>
  encodeAuditRecord({
    v: 1,
    time: '2026-12-07T12:00:00.000Z',
    node: 'n',
    id: `id${i}`,
    kind: 'query',
    analytic: 'examples.hello_user',
    args,
    outcome: 'OK',
    resultBytes: 10,
    durationMs: 1,
  });
const backlog = (maxBytes: number, when: 'refuse' | 'allow') => {
  const logs: LogRecord[] = [];
  return {
    logs,
    b: new AuditBacklog(
      maxBytes,
      when,
      createLogger((r) => logs.push(r)),
    ),
  };
};

describe('audit backlog', () => {
  it('audit backlog - records leave many to a message (a JSON array), bounded in records and bytes, each message with its own id', () => {
    const { b } = backlog(64 * 1024 * 1024, 'refuse');
    for (let i = 0; i < 2500; i++) b.add(record(i));
    const sizes: number[] = [];
    const ids = new Set<string>();
    for (let m = b.take(); m !== undefined; m = b.take()) {
      const records = JSON.parse(Buffer.from(m.data).toString()) as { id: string }[];
      expect(records).toHaveLength(m.records);
      sizes.push(m.records);
      ids.add(m.msgId);
      b.stored(m);
    }
    expect(sizes).toEqual([MAX_RECORDS_PER_MESSAGE, MAX_RECORDS_PER_MESSAGE, 500]);
    expect(ids.size).toBe(3);
    expect(b.counts()).toMatchObject({ published: 2500, backlogRecords: 0, backlogBytes: 0, dropped: 0 });

    const big = record(0, { blob: 'x'.repeat(60_000) });
    for (let i = 0; i < 10; i++) b.add(big);
    const m = b.take()!;
    expect(m.data.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(m.records).toBe(4);
    b.stored(m);
    for (let rest = b.take(); rest !== undefined; rest = b.take()) b.stored(rest);

    // A record that goes alone is its own message (a quiet node: one record per message, as before batching).
    b.add(record(7));
    const alone = b.take()!;
    expect(alone.records).toBe(1);
    expect(JSON.parse(Buffer.from(alone.data).toString())).toMatchObject({ id: 'id7', analytic: 'examples.hello_user' });
    b.stored(alone);
    expect(b.counts()).toMatchObject({ backlogRecords: 0, backlogBytes: 0 });
  });

  it('audit backlog - refuse (default): at the bound new calls get UNAVAILABLE saying why; records of running calls are still kept; it drains', () => {
    const { b, logs } = backlog(64 * 1024, 'refuse');
    while (b.counts().backlogBytes < 64 * 1024) {
      expect(b.refusal()).toBeUndefined();
      b.add(record(1));
    }
    expect(b.refusal()).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^the audit trail is unreachable: \d+ records/),
    });
    expect(b.refusal()?.message).toMatch(/audit\.whenUnrecorded: allow/);
    expect(b.add(record(2))).toBe(true); // a call admitted before the bound ends: its record stays
    expect(b.counts()).toMatchObject({ refusedCalls: 2, dropped: 0 });
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/^audit backlog full \(\d+ records, \d+ bytes\): NATS slow or away; calls are refused/),
    ]);
    for (let m = b.take(); m !== undefined; m = b.take()) b.stored(m);
    expect(b.refusal()).toBeUndefined();
    expect(logs.at(-1)).toMatchObject({ msg: expect.stringMatching(/drained/), refusedCallsMeanwhile: 2 });
  });

  it('audit backlog - allow: calls go on, records beyond the bound are dropped and counted', () => {
    const { b, logs } = backlog(64 * 1024, 'allow');
    let kept = 0;
    for (let i = 0; i < 1000; i++) if (b.add(record(i))) kept++;
    expect(b.refusal()).toBeUndefined();
    expect(b.counts()).toMatchObject({ backlogRecords: kept, dropped: 1000 - kept, refusedCalls: 0 });
    expect(b.counts().backlogBytes).toBeLessThanOrEqual(64 * 1024);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logs[0]?.msg).toMatch(/their records dropped, counted in insights_audit_records_dropped_total/);
  });

  it('audit record - arguments too large for a message keep their short entries and name the rest', () => {
    const json = record(1, { learner: 'L42', course: 'C1', rows: Array.from({ length: 20_000 }, (_, i) => i) });
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    expect(JSON.parse(json)).toMatchObject({
      args: { learner: 'L42', course: 'C1', $omitted: { keys: ['rows'], bytes: expect.any(Number) } },
    });
  });
});
