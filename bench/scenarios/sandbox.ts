/**
 * Scenario 8: the kernel sandbox (bubblewrap) beside the permission-model-only process sandbox:
 * its start time, and the call path through it (throughput, 64 in flight; serial latency).
 */
import path from 'node:path';
import { probeKernelSandbox } from '@insights/sandbox';
import { BENCH_DIR, runJson, startInsightsNode } from '../procs.ts';
import { summarise } from '../stats.ts';
import type { Plan, Row } from './plan.ts';

const LOAD = path.join(BENCH_DIR, 'clients', 'load.ts');
const START = path.join(BENCH_DIR, 'clients', 'sandbox-start.ts');
const ECHO_MODULE = path.join(BENCH_DIR, 'modules', 'echo');
/** A bubblewrap that does not exist: the node runs process modules under the permission model only. */
const NO_KERNEL = { INSIGHTS_SANDBOX_BWRAP: '/nonexistent/bwrap' };

export async function run(plan: Plan, _natsUrl: string, log: (s: string) => void): Promise<Row[]> {
  const kernel = await probeKernelSandbox();
  if (!kernel.available) {
    log(`  8-sandbox: skipped, no kernel sandbox here (${kernel.reason})`);
    return [];
  }
  const rows: Row[] = [];
  const modes = [
    { name: 'process, kernel sandbox (bwrap)', flag: 'on', env: {} },
    { name: 'process, permission model only', flag: 'off', env: NO_KERNEL },
  ];
  for (const m of modes) {
    log(`  8-sandbox: start, ${m.name}`);
    const r = await runJson<{ startMs: number[] }>(START, ['--kernel', m.flag, '--runs', String(plan.smoke ? 3 : 10)]);
    rows.push({ scenario: '8-sandbox', name: `start, ${m.name}`, unit: 'ms', ...summarise(r.startMs) });
  }
  const load = ['--duration', String(plan.durationMs), '--runs', String(plan.runs), '--warmup', String(plan.warmupMs)];
  for (const m of modes) {
    log(`  8-sandbox: calls, ${m.name}`);
    const node = await startInsightsNode('process', ['--module', ECHO_MODULE], m.env);
    try {
      const address = String(node.ready.grpc ?? node.ready.address);
      const t = await runJson<{ throughput: number[] }>(LOAD, ['--target', 'insights', '--address', address, ...load]);
      rows.push({ scenario: '8-sandbox', name: `insights (${m.name})`, unit: 'calls/s', ...summarise(t.throughput) });
      const l = await runJson<{ latency: { p50: number; p99: number }[] }>(LOAD, [
        '--target',
        'insights',
        '--address',
        address,
        ...load,
        '--mode',
        'latency',
      ]);
      rows.push({
        scenario: '8-sandbox',
        name: `insights (${m.name}) p50`,
        unit: 'ms',
        ...summarise(l.latency.map((x) => x.p50)),
      });
      rows.push({
        scenario: '8-sandbox',
        name: `insights (${m.name}) p99`,
        unit: 'ms',
        ...summarise(l.latency.map((x) => x.p99)),
      });
    } finally {
      await node.stop();
    }
  }
  return rows;
}
