/** Scenario 6: tracking-log parse + normalise rate on a generated log, with peak memory. */
import path from 'node:path';
import { BENCH_DIR, REPO, runJson } from '../procs.ts';
import { summarise } from '../stats.ts';
import type { Plan, Row } from './plan.ts';

export async function run(plan: Plan, _nats: string, log: (s: string) => void): Promise<Row[]> {
  const n = plan.smoke ? 20_000 : 1_000_000;
  const runs = plan.smoke ? 1 : 3;
  log(`  6-import: parse + normalise ${n.toLocaleString('en-US')} generated lines`);
  const results = [];
  for (let r = 0; r < runs; r++)
    results.push(
      await runJson<{ rate: number; lines: number; normalised: number; peakRssMb: number }>(
        path.join(BENCH_DIR, 'clients', 'import.ts'),
        ['--n', String(n), '--data', path.resolve(REPO, '..', 'shared', 'data')],
      ),
    );
  const rss = Math.max(...results.map((x) => x.peakRssMb));
  const all = results.every((x) => x.normalised === n);
  return [
    {
      scenario: '6-import',
      name: 'parse + normalise',
      unit: 'lines/s',
      ...summarise(results.map((x) => x.rate)),
      note: `${n} lines, peak RSS ${rss} MB, ${all ? 'every line normalised' : 'some lines failed'}`,
    },
  ];
}
