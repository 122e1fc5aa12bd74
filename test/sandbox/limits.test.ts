import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FAST_RESTART, failure, hostile, query, sandboxHost, sleep, waitFor, whileProbingGood } from './support.ts';

const MARGIN_MS = 1500;

/** Per-module limits of process sandboxes: deadline against a busy loop, concurrency, result size, log rate. */
describe('sandbox - limits', () => {
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    node = await startTestNode({
      modules: [
        hostile('good'),
        {
          path: hostile('busy'),
          restart: FAST_RESTART,
          limits: { maxConcurrentCalls: 2, maxQueuedCalls: 2, unresponsiveMs: 500 },
        },
        hostile('timers'),
        { path: hostile('big'), limits: { maxResultBytes: 1024 * 1024 } },
        { path: hostile('flood'), limits: { maxLogRecordsPerSecond: 50 } },
      ],
    });
    mesh = await connect({ nodes: [node.grpcAddress] });
  });
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  it('deadline - a synchronous infinite loop gets DEADLINE_EXCEEDED at its deadline; the sandbox is killed and serves again', async () => {
    const host = sandboxHost(node, 'busy');
    const pid = host.pid;
    await whileProbingGood(mesh, 'busy loop', async () => {
      const t0 = Date.now();
      expect(await failure(query(node, 'busy.spin', {}, 1000))).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      const took = Date.now() - t0;
      console.log(`[deadline] busy.spin with a 1000 ms deadline answered after ${took} ms`);
      expect(took).toBeGreaterThanOrEqual(990);
      expect(took).toBeLessThan(1000 + MARGIN_MS);
      await waitFor('busy restart', () => host.status().restarts === 1 && host.status().state === 'ready');
      expect(await query(node, 'busy.ping')).toBe('pong');
    });
    expect(host.pid).not.toBe(pid);
    expect(host.status().lastError).toMatch(/stopped responding/);
  });

  it('limits - concurrency: 2 run, 2 wait, more get RESOURCE_EXHAUSTED at once; a waiting call still has its deadline', async () => {
    const calls = Array.from({ length: 6 }, () =>
      query(node, 'busy.nap', { ms: 300 }).then(
        (v) => v,
        (e: Error) => e,
      ),
    );
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === 300)).toHaveLength(4);
    expect(results.filter((r) => (r as { code?: string }).code === 'RESOURCE_EXHAUSTED')).toHaveLength(2);
    expect(String(results.find((r) => r !== 300))).toMatch(/maxConcurrentCalls/);

    const running = [query(node, 'busy.nap', { ms: 800 }), query(node, 'busy.nap', { ms: 800 })];
    const t0 = Date.now();
    expect(await failure(query(node, 'busy.nap', { ms: 1 }, 200))).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - t0).toBeLessThan(700);
    await Promise.all(running);
    expect(sandboxHost(node, 'busy').status().inFlight).toBe(0);
  });

  it('limits - a 200 MB result is refused with RESOURCE_EXHAUSTED (maxResultBytes 1 MiB) and the sandbox stays up', async () => {
    const host = sandboxHost(node, 'big');
    const pid = host.pid;
    await whileProbingGood(mesh, '200 MB result', async () => {
      expect(await failure(query(node, 'big.string', { mb: 200 }, 20_000))).toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: /maxResultBytes/,
      });
      expect(await failure(query(node, 'big.rows', {}, 20_000))).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
      const view = node.dispatcher.call({ kind: 'view', name: 'big.png', args: { mb: 5 }, deadline: Date.now() + 5000 });
      expect(await failure(view)).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    });
    expect(await query(node, 'big.small')).toBe('ok');
    expect(host.pid).toBe(pid);
  });

  it('limits - a log flood is throttled to the module rate and the drop is reported', async () => {
    await whileProbingGood(mesh, 'log flood', async () => {
      expect(await query(node, 'flood.flood', { n: 20_000 }, 20_000)).toBe(20_000);
      await sleep(1200);
    });
    const mine = node.logs.filter((r) => r.module === 'flood');
    const records = mine.filter((r) => r.msg === 'flood record' || String(r.msg).startsWith('flood line'));
    console.log(`[log flood] 40000 records written, ${records.length} reached the node's log`);
    expect(records.length).toBeGreaterThan(10);
    expect(records.length).toBeLessThan(300);
    expect(mine.some((r) => /throttled/.test(String(r.msg)) && Number(r.dropped) > 1000)).toBe(true);
  });

  it('limits - leaked timers keep only the module busy; its sandbox still closes promptly', async () => {
    await whileProbingGood(mesh, 'leaked timers', async () => {
      expect(await query(node, 'timers.leak', { n: 5000 })).toBe(5000);
      await sleep(1000);
    });
    const t0 = Date.now();
    await sandboxHost(node, 'timers').close();
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('limits - a result that cannot cross the boundary fails only that call', async () => {
    const view = node.dispatcher.call({ kind: 'view', name: 'good.unsendable', args: {}, deadline: Date.now() + 5000 });
    expect(await failure(view)).toMatchObject({ code: 'INTERNAL', message: /cannot be encoded.*BigInt/ });
    expect(await failure(query(node, 'good.not_json'))).toMatchObject({ code: 'INTERNAL', message: /not JSON.*BigInt/ });
    expect(await query(node, 'good.ping')).toBe('pong');
  });
});
