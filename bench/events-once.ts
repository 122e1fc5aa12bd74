/**
 * One run of scenario 5 on its own (events end to end with a trivial handler):
 * `npx tsx bench/events-once.ts [--n 100000] [--isolation inline|process]`. Profiling the node:
 * BENCH_EVENTS_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`), space-separated.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startNatsServer } from '@insights/registry/nats-server';
import { treeCpuMs } from './proc-cpu.ts';
import { BENCH_DIR, runJson, startInsightsNode } from './procs.ts';

const { values: o } = parseArgs({
  options: { n: { type: 'string', default: '100000' }, isolation: { type: 'string', default: 'inline' } },
});
const nats = await startNatsServer({ auth: false });
try {
  const node = await startInsightsNode(
    o.isolation,
    ['--module', path.join(BENCH_DIR, 'modules', 'count'), '--nats', nats.url],
    {},
    process.env.BENCH_EVENTS_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [],
  );
  try {
    const cpuBefore = treeCpuMs(node.proc.pid!);
    const r = await runJson<Record<string, number>>(path.join(BENCH_DIR, 'clients', 'events.ts'), [
      ...['--target', 'insights', '--address', String(node.ready.grpc), '--n', o.n, '--run', '0'],
    ]);
    // The node's CPU (with its sandboxes) per event, from /proc: steadier than rates on a shared machine.
    const nodeCpuUsPerEvent = Math.round(((treeCpuMs(node.proc.pid!) - cpuBefore) * 1000) / Number(o.n));
    process.stdout.write(`${JSON.stringify({ isolation: o.isolation, ...r, nodeCpuUsPerEvent })}\n`);
  } finally {
    await node.stop();
  }
} finally {
  await nats.stop();
}
