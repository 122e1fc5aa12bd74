/**
 * The course bench: imports a synthetic course (bench/course-log.ts) into a running node with
 * `insights events import`, then waits until every handler consumer has processed everything,
 * sampling the node's per-module sandbox memory (insights_module_memory_bytes on /metrics) and
 * the node's own RSS all along. Prints one JSON line: import and catch-up seconds, peak MB per
 * module and of the node.
 * Usage: course.ts --events N --learners L --grpc host:port --http host:port --nats url --pid node-pid --data dir
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { writeCourseLog } from '../course-log.ts';
import { INSIGHTS_BIN, REPO } from '../procs.ts';
import { treeCpuMs } from '../proc-cpu.ts';

const { values: o } = parseArgs({
  options: {
    events: { type: 'string' },
    learners: { type: 'string' },
    grpc: { type: 'string' },
    http: { type: 'string' },
    nats: { type: 'string' },
    pid: { type: 'string' },
    data: { type: 'string' },
    'node-id': { type: 'string' },
  },
});
const events = Number(o.events);
const STREAM = 'INSIGHTS_EVENTS';
const CATCH_UP_LIMIT_MS = 60 * 60_000;

const peakModuleMb = new Map<string, number>();
let peakNodeMb = 0;
async function sample(): Promise<void> {
  const base = String(o.http).startsWith('http') ? String(o.http) : `http://${o.http}`;
  const text = await (await fetch(`${base}/metrics`)).text();
  for (const m of text.matchAll(/^insights_module_memory_bytes\{[^}]*module="([^"]+)"[^}]*\} (\S+)$/gm)) {
    const mb = Math.round(Number(m[2]) / 2 ** 20);
    peakModuleMb.set(m[1]!, Math.max(peakModuleMb.get(m[1]!) ?? 0, mb));
  }
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${o.pid}/status`, 'utf8'))?.[1];
  if (rss !== undefined) peakNodeMb = Math.max(peakNodeMb, Math.round(Number(rss) / 1024));
}

const dir = await mkdtemp(path.join(tmpdir(), 'insights-course-'));
const file = path.join(dir, 'course.log');
await writeCourseLog(file, { events, learners: Number(o.learners), realLogs: String(o.data) });
const sampler = setInterval(() => void sample().catch(() => undefined), 1000);

const t0 = Date.now();
// The ingesting node's CPU (its own, and with its module sandboxes) from the import's start to caught up.
const cpuBefore = { own: treeCpuMs(Number(o.pid), true), tree: treeCpuMs(Number(o.pid)) };
await new Promise<void>((resolve, reject) => {
  const cli = spawn(
    process.execPath,
    [
      // `insights`, as an operator runs it (the bench built the CLI before starting the node).
      INSIGHTS_BIN,
      'events',
      'import',
      file,
      '--node',
      String(o.grpc),
      '--quiet',
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  cli.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  cli.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`events import exited with ${code}: ${err}`))));
});
const importSeconds = (Date.now() - t0) / 1000;
process.stderr.write(`imported in ${importSeconds} s (${Math.round(events / importSeconds)} events/s)\n`);

if (o['node-id'] === undefined) throw new Error('--node-id is required (its handler durables end in __<node id>)');
const nc = await connect({ servers: String(o.nats) });
const jsm = await jetstreamManager(nc);
let caughtUp = false;
let lastReport = 0;
while (!caughtUp && Date.now() - t0 < CATCH_UP_LIMIT_MS) {
  caughtUp = true;
  const left: string[] = [];
  for await (const c of jsm.consumers.list(STREAM)) {
    // Only this node's handler durables: an earlier course's node (stopped) left its own behind.
    if (c.name.startsWith('h_') && c.name.endsWith(`__${o['node-id']}`) && (c.num_pending > 0 || c.num_ack_pending > 0)) {
      caughtUp = false;
      left.push(`${c.name.slice(2)} ${c.num_pending + c.num_ack_pending}`);
    }
  }
  // Progress on stderr: a run stopped early still shows how far each handler got.
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    process.stderr.write(
      `${((Date.now() - t0) / 1000).toFixed(0)} s: node ${peakNodeMb} MB peak; left: ${left.join(', ') || 'none'}\n`,
    );
  }
  if (!caughtUp) await new Promise((r) => setTimeout(r, 500));
}
const catchUpSeconds = (Date.now() - t0) / 1000;
const nodeCpuUsPerEvent = Math.round(((treeCpuMs(Number(o.pid), true) - cpuBefore.own) * 1000) / events);
const nodeTreeCpuUsPerEvent = Math.round(((treeCpuMs(Number(o.pid)) - cpuBefore.tree) * 1000) / events);
await sample().catch(() => undefined);
clearInterval(sampler);
await nc.close();
await rm(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ events, importSeconds, importEventsPerSecond: Math.round(events / importSeconds), catchUpSeconds, caughtUp, peakNodeMb, nodeCpuUsPerEvent, nodeTreeCpuUsPerEvent, peakModuleMb: Object.fromEntries(peakModuleMb) })}\n`,
);
