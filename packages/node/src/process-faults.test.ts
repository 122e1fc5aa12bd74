import { EventEmitter } from 'node:events';
import { createLogger, type LogRecord } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { FATAL_FAULT_EXIT_CODE, installProcessFaultPolicy } from './process-faults.ts';

function setup(maxPerMinute = 3) {
  const target = new EventEmitter();
  const records: LogRecord[] = [];
  const exits: number[] = [];
  let clock = 0;
  const policy = installProcessFaultPolicy({
    nodeId: 'n1',
    log: createLogger((r) => records.push(r), { node: 'n1' }),
    maxPerMinute,
    exit: (code) => exits.push(code),
    now: () => clock,
    target,
  });
  return { target, records, exits, policy, tick: (ms: number) => (clock += ms) };
}

describe('process faults - policy', () => {
  it('logs and counts a rejection and an exception, and keeps the process', () => {
    const t = setup();
    t.target.emit('unhandledRejection', new TypeError("Cannot read properties of null (reading 'hops')"));
    t.target.emit('uncaughtException', Object.assign(new Error('socket gone'), { code: 'ECONNRESET' }));
    t.target.emit('unhandledRejection', null);
    expect(Object.fromEntries(t.policy.counts())).toEqual({ unhandledRejection: 2, uncaughtException: 1 });
    expect(t.exits).toEqual([]);
    expect(t.records[0]).toMatchObject({
      level: 'error',
      node: 'n1',
      kind: 'unhandledRejection',
      errorName: 'TypeError',
      error: "Cannot read properties of null (reading 'hops')",
      stack: expect.stringContaining('process-faults.test.ts'),
    });
    expect(t.records[1]).toMatchObject({ kind: 'uncaughtException', errorCode: 'ECONNRESET', total: 1 });
    expect(t.records[2]).toMatchObject({ kind: 'unhandledRejection', error: 'null', total: 2 });
  });

  it('exits when faults come in a loop: more than the budget within one minute', () => {
    const t = setup(3);
    for (let i = 0; i < 3; i++) {
      t.target.emit('uncaughtException', new Error(`fault ${i}`));
      t.tick(25_000);
    }
    // The first fault is out of the window by now: still within the budget.
    t.target.emit('uncaughtException', new Error('fault 3'));
    expect(t.exits).toEqual([]);
    t.target.emit('unhandledRejection', new Error('fault 4'));
    expect(t.exits).toEqual([FATAL_FAULT_EXIT_CODE]);
    expect(t.records.at(-1)).toMatchObject({ fatal: expect.stringContaining('limits.maxProcessFaultsPerMinute (3)') });
  });

  it("exits at once when Node's own invariants are broken", () => {
    const t = setup();
    t.target.emit('uncaughtException', Object.assign(new Error('internal'), { code: 'ERR_INTERNAL_ASSERTION' }));
    expect(t.exits).toEqual([FATAL_FAULT_EXIT_CODE]);
  });

  it('takes its handlers off when disposed', () => {
    const t = setup();
    t.policy.dispose();
    expect(t.target.listenerCount('unhandledRejection') + t.target.listenerCount('uncaughtException')).toBe(0);
  });
});
