import { describe, expect, it } from 'vitest';
import { targets } from '../../bench/report.ts';
import { DEFAULT_ROW, type Row } from '../../bench/scenarios/plan.ts';

const row = (scenario: string, name: string, median: number): Row => ({
  scenario,
  name,
  unit: '-',
  median,
  min: median,
  max: median,
  runs: [median],
});

describe('bench - report targets', () => {
  it('leads with the default configuration: throughput vs Moleculer and inline, p50 and p99 vs Moleculer', () => {
    const t = targets([
      row('1-throughput', DEFAULT_ROW, 100_000),
      row('1-throughput', 'insights (inline module)', 200_000),
      row('1-throughput', 'Moleculer 0.15 over NATS', 50_000),
      row('2-latency', `${DEFAULT_ROW} p50`, 0.2),
      row('2-latency', `${DEFAULT_ROW} p99`, 0.9),
      row('2-latency', 'Moleculer 0.15 over NATS p50', 0.25),
      row('2-latency', 'Moleculer 0.15 over NATS p99', 0.6),
    ]);
    expect(t.slice(0, 4)).toEqual([
      { goal: '1. default: throughput vs Moleculer over NATS', ratio: 2, needed: 2.5, met: false },
      { goal: '1. default: throughput vs inline module', ratio: 0.5, needed: 0.7, met: false },
      { goal: '2. default: p50 latency vs Moleculer (lower is better)', ratio: 0.8, needed: 1, met: true },
      { goal: '2. default: p99 latency vs Moleculer (lower is better)', ratio: 1.5, needed: 1, met: false },
    ]);
  });
});
