/**
 * CLI start: wall time of `insights --help` (the built CLI, packages/cli/dist) beside `node -e 0`
 * (the floor any Node program pays) and the sources under tsx (what every start cost before the
 * build). Each figure is the median of repeated runs, measured in this run on this machine.
 */
import { spawnSync } from 'node:child_process';
import { INSIGHTS_BIN, REPO } from '../procs.ts';
import { summarise } from '../stats.ts';
import type { Plan, Row } from './plan.ts';

const CLI = INSIGHTS_BIN;

function timeOnce(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}`);
  return ms;
}

function measure(name: string, runs: number, args: string[], env?: NodeJS.ProcessEnv, note?: string): Row {
  timeOnce(args, env); // warm the file cache
  const values = Array.from({ length: runs }, () => timeOnce(args, env));
  return { scenario: 'cli-start', name, unit: 'ms', ...summarise(values), ...(note === undefined ? {} : { note }) };
}

export async function run(plan: Plan, _natsUrl: string, log: (s: string) => void): Promise<Row[]> {
  const runs = plan.smoke ? 3 : 15;
  log('cli-start: insights --help, node -e 0, and the sources under tsx');
  const floor = measure('node -e 0 (floor)', runs, ['-e', '0']);
  const built = measure('insights --help (built)', runs, [CLI, '--help']);
  // A loaded machine slows both alike: the CLI's own share is what it adds to the floor.
  built.note = `target < 200 ms; ${Math.round(built.median - floor.median)} ms above node -e 0`;
  return [
    built,
    floor,
    measure('insights --help (sources under tsx)', plan.smoke ? 1 : 5, [CLI, '--help'], { INSIGHTS_CLI_FROM_SOURCE: '1' }),
  ];
}
