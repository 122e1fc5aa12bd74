/**
 * `npm run bench` (`--smoke` for CI's short version): every scenario with the client, each
 * server and NATS in separate processes, medians of repeated runs, baselines measured in the
 * same run. Writes bench/results/<name>.json and, for full runs, BENCHMARKS.md (with
 * bench/ANALYSIS.md, the hand-written account of where the time goes, appended).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startNatsServer } from '@insights/registry/nats-server';
import { REPO } from './procs.ts';
import { callScenarios } from './scenarios/calls.ts';
import { FULL, SMOKE, type Row } from './scenarios/plan.ts';
import { renderReport, targets } from './report.ts';

const { values: o } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, only: { type: 'string' } } });
const plan = o.smoke ? SMOKE : FULL;
const only = o.only?.split(',');
const log = (s: string) => process.stderr.write(`${s}\n`);

// Open NATS on loopback: the scenarios hand a bare URL to nodes, raw clients and Moleculer's
// transporter alike (credentials cost only the connect handshake, which no scenario measures).
// 16 GB of file store: the 1,000,000-event course alone stores ~2 GB of events with their raw lines.
const nats = await startNatsServer({ auth: false, maxFileStore: '16GB' });
const rows: Row[] = [];
const started = Date.now();
try {
  const want = (s: string) => only === undefined || only.some((x) => s.startsWith(x));
  if (want('calls')) rows.push(...(await callScenarios(plan, nats.url, log)));
  for (const [name, mod] of [
    ['events', './scenarios/events.ts'],
    ['import', './scenarios/import.ts'],
    ['registry', './scenarios/registry.ts'],
    ['sandbox', './scenarios/sandbox.ts'],
    ['course', './scenarios/course.ts'],
    ['cli-start', './scenarios/cli-start.ts'],
  ] as const)
    if (want(name)) {
      const { run } = (await import(mod)) as {
        run: (p: typeof plan, natsUrl: string, log: (s: string) => void) => Promise<Row[]>;
      };
      // A scenario that breaks is reported; the others' figures are still written.
      rows.push(
        ...(await run(plan, nats.url, log).catch((e: Error) => {
          log(`  ${name} failed: ${e.message}`);
          return [
            { scenario: name, name: 'failed', unit: '-', median: 0, min: 0, max: 0, runs: [], note: e.message.slice(0, 300) },
          ];
        })),
      );
    }
} finally {
  await nats.stop();
}

const machine = {
  cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown'}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  natsServer: safe(() => execSync('nats-server --version').toString().trim()),
  os: `${os.type()} ${os.release()}`,
};
const result = {
  date: new Date().toISOString(),
  command: `npm run bench${o.smoke ? ' -- --smoke' : ''}${o.only ? ` -- --only ${o.only}` : ''}`,
  plan,
  machine,
  seconds: Math.round((Date.now() - started) / 1000),
  rows,
  targets: targets(rows),
};
mkdirSync(path.join(REPO, 'bench', 'results'), { recursive: true });
// A partial run (--only) never replaces the last full run's figures.
const out = path.join(
  REPO,
  'bench',
  'results',
  o.smoke ? 'smoke.json' : only === undefined ? 'latest.json' : `partial-${only.join('-')}.json`,
);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
const analysisFile = path.join(REPO, 'bench', 'ANALYSIS.md');
const analysis = existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8') : '';
if (!o.smoke && only === undefined) writeFileSync(path.join(REPO, 'BENCHMARKS.md'), `${renderReport(result)}\n${analysis}`);
log(`\n${renderReport(result).split('## Results')[1] ?? ''}`);
log(`results: ${path.relative(process.cwd(), out)}${!o.smoke && only === undefined ? ' and BENCHMARKS.md' : ''}`);

function safe(f: () => string): string {
  try {
    return f();
  } catch {
    return 'unknown';
  }
}
