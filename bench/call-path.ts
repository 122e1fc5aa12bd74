/**
 * The call-path rows of scenarios 1-2 alone, for profiling and step-by-step measuring without the
 * whole scenario 1-4 list: starts `insights node` with the echo module under one isolation level,
 * drives it with the same load client as `npm run bench`, prints one JSON line.
 *
 *   node --import tsx bench/call-path.ts --isolation inline --runs 5 [--mode latency] [--profile DIR] [--nats]
 *
 * `--nats` starts a nats-server (JetStream, no auth) and gives the node `--nats`, as a deployment
 * has: its audit records are then published to JetStream, not dropped at the log level. The
 * headline rows of `npm run bench` stay without it.
 *
 * `--moleculer` then drives Moleculer's echo service (bench/servers/moleculer-echo.ts, over a
 * nats-server of its own) with the same client settings and prints the ratio: the target of
 * issues 13 and 19, measured in the same minute instead of in the full run.
 *
 * `--profile DIR` runs the node and the client with `--cpu-prof` into DIR/node and DIR/client, and a
 * process sandbox into DIR/sandbox (the node's bench-only INSIGHTS_BENCH_SANDBOX_CPU_PROF, see
 * sandbox/src/cpu-profile-option.ts); `bench/profile-summary.ts` turns the files into a table.
 */
import { mkdirSync } from 'node:fs';
import { treeCpuMs } from './proc-cpu.ts';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startNatsServer } from '@insights/registry/nats-server';
import { BENCH_DIR, runJson, startInsightsNode, startServer } from './procs.ts';
import { summarise } from './stats.ts';

const { values: o } = parseArgs({
  options: {
    isolation: { type: 'string', default: 'inline' },
    mode: { type: 'string', default: 'throughput' },
    payload: { type: 'string', default: 'small' },
    concurrency: { type: 'string', default: '64' },
    runs: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '1500' },
    profile: { type: 'string' },
    nats: { type: 'boolean', default: false },
    moleculer: { type: 'boolean', default: false },
  },
});

const LOAD = path.join(BENCH_DIR, 'clients', 'load.ts');

function profileDir(who: string): string {
  const dir = path.resolve(o.profile!, who);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// --cpu-prof is refused in NODE_OPTIONS, so it goes on the command line of node and client only.
const prof = (who: string): string[] => (o.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir(who)}`]);

const sandboxProfile = o.profile === undefined ? {} : { INSIGHTS_BENCH_SANDBOX_CPU_PROF: profileDir('sandbox') };
const nats = o.nats === true ? await startNatsServer({ auth: false }) : undefined;
const node = await startInsightsNode(
  o.isolation!,
  ['--module', path.join(BENCH_DIR, 'modules', 'echo'), ...(nats === undefined ? [] : ['--nats', nats.url])],
  sandboxProfile,
  prof('node'),
).catch(async (e: unknown) => {
  await nats?.stop();
  throw e;
});
try {
  const cpuBefore = treeCpuMs(node.proc.pid!);
  const ownBefore = treeCpuMs(node.proc.pid!, true);
  const loadArgs = [
    '--payload',
    o.payload!,
    '--concurrency',
    o.concurrency!,
    '--mode',
    o.mode!,
    '--runs',
    o.runs!,
    '--duration',
    o.duration!,
    '--warmup',
    o.warmup!,
  ];
  const r = await runJson<Load>(
    LOAD,
    ['--target', 'insights', '--address', String(node.ready.grpc ?? node.ready.address), ...loadArgs],
    {},
    prof('client'),
  );
  // CPU of the node with its sandboxes, and of the node alone, per call: steadier than calls/s on a shared machine.
  const nodeCpuUsPerCall = ((treeCpuMs(node.proc.pid!) - cpuBefore) * 1000) / r.calls;
  const nodeOwnCpuUsPerCall = ((treeCpuMs(node.proc.pid!, true) - ownBefore) * 1000) / r.calls;
  const out =
    r.throughput !== undefined
      ? {
          isolation: o.isolation,
          nats: nats !== undefined,
          callsPerSecond: summarise(r.throughput),
          nodeCpuUsPerCall,
          nodeOwnCpuUsPerCall,
        }
      : {
          isolation: o.isolation,
          nats: nats !== undefined,
          p50: summarise(r.latency!.map((x) => x.p50)),
          p99: summarise(r.latency!.map((x) => x.p99)),
          nodeCpuUsPerCall,
          nodeOwnCpuUsPerCall,
        };
  await node.stop();
  const baseline = o.moleculer === true ? await moleculer(loadArgs) : undefined;
  process.stdout.write(`${JSON.stringify(baseline === undefined ? out : { ...out, ...compared(out, baseline) })}\n`);
} finally {
  await node.stop();
  await nats?.stop();
}

type Load = { throughput?: number[]; latency?: { p50: number; p99: number }[]; calls: number };

/** The same load against Moleculer's echo service over a nats-server of its own. */
async function moleculer(loadArgs: string[]): Promise<Load> {
  const own = await startNatsServer({ auth: false });
  try {
    const server = await startServer(path.join(BENCH_DIR, 'servers', 'moleculer-echo.ts'), [], { NATS_URL: own.url });
    try {
      return await runJson<Load>(LOAD, ['--target', 'moleculer', '--address', own.url, ...loadArgs]);
    } finally {
      await server.stop();
    }
  } finally {
    await own.stop();
  }
}

/** Moleculer's figures beside ours, and ours as a multiple of them (throughput) or a fraction (latency). */
function compared(ours: Record<string, unknown>, m: Load): Record<string, unknown> {
  if (m.throughput !== undefined) {
    const theirs = summarise(m.throughput);
    const mine = ours.callsPerSecond as { median: number };
    return { moleculer: { callsPerSecond: theirs }, timesMoleculer: mine.median / theirs.median };
  }
  const p50 = summarise(m.latency!.map((x) => x.p50));
  const p99 = summarise(m.latency!.map((x) => x.p99));
  return { moleculer: { p50, p99 } };
}
