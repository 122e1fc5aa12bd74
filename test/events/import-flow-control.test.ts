import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { natsEnv, NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { REPO_ROOT, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';
import { writeCourseLog } from '../../bench/course-log.ts';

const REAL_LOGS = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'edx-tracking');
/** INSIGHTS_LONG_TESTS=1 imports a course five times larger. */
const LONG = process.env.INSIGHTS_LONG_TESTS === '1';
const EVENTS = LONG ? 20_000 : 8_000;
/** Large events (every line padded): a 380 MB file (or 950) with few events, so the import stays short. */
const PAD_BYTES = 48 * 1024;
/**
 * The node may grow by this much while importing, whatever the file's size; its heap is not
 * capped. Measured: +57 MB (heap used flat at ~55 MB). Before, +230-337 MB: every ingested
 * chunk's normalised envelopes stayed alive until its deadline timer fired (event-system.ts,
 * readyBy), and V8 let the heap float (node-heap-growth.ts). A node that buffered the file would
 * hold its 380 MB of chunks.
 */
const MAX_GROWTH_MB = 120;

/** The process's resident memory, MB; 0 once it is gone (the import then fails and says why). */
const rssMb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};

/**
 * A course log (tracking-log lines, the edx normaliser in its process sandbox: the node is slower
 * than the importer) goes through `insights events import` into a real node process; its RSS,
 * sampled from /proc all along, stays flat because the node reads the import stream only as fast
 * as it normalises and JetStream stores the events (the importer waits meanwhile).
 */
describe.skipIf(NO_NATS || !existsSync(REAL_LOGS))('events import - flow control', () => {
  let nats: NatsServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let node: NodeProcess;
  beforeAll(async () => {
    nats = await startNatsServer();
    tmp = await tempDir();
    node = await spawnNode(
      ['--data-dir', tmp.dir, '--nats', nats.url, '--isolation', 'process', '--module', path.join(SHIPPED_MODULES, 'edx')],
      natsEnv(nats, 'node'),
    );
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    await nats?.stop();
    await tmp?.remove();
  });

  it('events import - the ingesting node stays within a memory bound however large the file', { timeout: 600_000 }, async () => {
    const warm = path.join(tmp.dir, 'warm.log');
    const big = path.join(tmp.dir, 'big.log');
    await writeCourseLog(warm, { events: 2_000, learners: 100, realLogs: REAL_LOGS, days: 1 });
    await writeCourseLog(big, { events: EVENTS, learners: 2_000, realLogs: REAL_LOGS, padBytes: PAD_BYTES });
    const pid = node.proc.pid!;
    // Warm up (code paths compiled, connections open) before the baseline is taken.
    expect((await runCli(['events', 'import', warm, '--node', node.ready.grpc, '--quiet'])).code).toBe(0);
    const baseline = rssMb(pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    try {
      const r = await runCli(['events', 'import', big, '--node', node.ready.grpc, '--quiet']);
      expect(r.code, `${r.stderr}\nnode: ${node.stderr().slice(-1500)}`).toBe(0);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
      expect(summary).toMatchObject({ events: EVENTS, badLines: 0 });
      expect(summary.accepted).toBeGreaterThan(EVENTS * 0.9);
    } finally {
      clearInterval(sampler);
    }
    console.info(`events import - node RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`);
    expect(peak - baseline, `baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`).toBeLessThan(MAX_GROWTH_MB);
  });
});
