import { readdirSync } from 'node:fs';
import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../support/test-node.ts';
import { failure, FAST_RESTART, hostile, query, sandboxHost, waitFor, whileProbingGood } from '../support.ts';
import { describeKernel, kernel, snapshot } from './kernel.ts';

const memoryCgroup = kernel.available && kernel.cgroups?.controllers.memory !== undefined;

/** A module that wants the machine: file descriptors, memory outside its heap, disk, CPU. */
describeKernel('hostile - resources (kernel sandbox)', () => {
  let node: TestNode;
  let mesh: Mesh;
  let dataDir: string;
  beforeAll(async () => {
    node = await startTestNode({
      modules: [
        hostile('good'),
        { path: hostile('fd-hog'), limits: { maxOpenFiles: 256 }, restart: FAST_RESTART },
        { path: hostile('mem-hog'), limits: { maxHeapMb: 64, maxMemoryMb: 256 }, restart: FAST_RESTART },
        { path: hostile('disk-filler'), limits: { diskQuotaMb: 8 }, restart: FAST_RESTART },
        { path: hostile('busy'), limits: { maxCpuPercent: 50 }, restart: FAST_RESTART },
        { path: hostile('fork-bomb'), restart: FAST_RESTART },
      ],
    });
    mesh = await connect({ nodes: [node.grpcAddress] });
    const { cwd } = (await query(node, 'good.whereami')) as { cwd: string };
    dataDir = path.dirname(path.dirname(cwd));
  }, 60_000); // starting several sandboxes on a busy machine
  afterAll(async () => {
    await mesh?.close();
    await node?.stop();
  });

  it('hostile - thousands of sockets: capped by its open-files limit, the node keeps its descriptors', async () => {
    const nodeFds = () => readdirSync('/proc/self/fd').length;
    const before = nodeFds();
    const r = (await whileProbingGood(mesh, 'socket hog', () => query(node, 'fd-hog.hog', { count: 5000 }, 30_000))) as {
      opened: number;
      error: string;
    };
    console.log(`[hostile fds] ${JSON.stringify(r)}`);
    expect(r.error).toBe('EMFILE');
    // Each connection is two descriptors (both ends live in the sandbox): under 256 in all.
    expect(r.opened).toBeLessThan(128);
    expect(nodeFds() - before).toBeLessThan(20);
    expect(await query(node, 'fd-hog.release')).toBe('released');
  });

  it('hostile - a fork bomb: every process start is refused, the node keeps serving', async () => {
    const r = (await whileProbingGood(mesh, 'fork bomb', () => query(node, 'fork-bomb.bomb', { count: 300 }, 30_000))) as {
      started: number;
      refused: Record<string, number>;
    };
    console.log(`[hostile fork] ${JSON.stringify(r)}`);
    // The permission model refuses first; the seccomp filter below it holds without it
    // (packages/sandbox/src/kernel-command.test.ts), and so does pids.max where a cgroup is made.
    expect(r.started).toBe(0);
    expect(Object.values(r.refused).reduce((a, b) => a + b, 0)).toBe(900);
    // Still one process: the module answers, and so does the well-behaved one.
    expect(sandboxHost(node, 'fork-bomb').status().restarts).toBe(0);
    expect(await query(node, 'good.whereami')).toMatchObject({ cwd: expect.any(String) });
  });

  it.skipIf(!memoryCgroup)(
    'hostile - Buffer.alloc past its memory limit: killed by the cgroup, restarted, with the reason',
    async () => {
      const nodeRss = process.memoryUsage().rss;
      const e = await whileProbingGood(mesh, 'memory outside the heap', () => failure(query(node, 'mem-hog.grow', {}, 30_000)));
      // The sandbox's memory was its own: the node did not grow with it.
      expect(process.memoryUsage().rss - nodeRss).toBeLessThan(128 * 1024 * 1024);
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.message).toMatch(/memory limit of 256 MiB \(limits\.maxMemoryMb\)/);
      await waitFor('mem-hog restarted', () => sandboxHost(node, 'mem-hog').status().state === 'ready');
      expect(sandboxHost(node, 'mem-hog').status().restarts).toBeGreaterThanOrEqual(1);
      expect(await query(node, 'mem-hog.ping')).toBe('pong');
    },
  );

  it('hostile - filling its data folder: stopped at its disk quota, restarted read-only; nothing else changed', async () => {
    const own = [path.join(dataDir, 'modules', 'disk-filler'), path.join(dataDir, 'db', 'disk-filler')];
    const before = await snapshot(dataDir, [...own, path.join(dataDir, 'db')]);
    const e = await whileProbingGood(mesh, 'disk filler', () => failure(query(node, 'disk-filler.fill', { mb: 64 }, 30_000)));
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toMatch(/over its disk quota of 8 MiB \(limits\.diskQuotaMb\)/);
    await waitFor('disk-filler restarted', () => sandboxHost(node, 'disk-filler').status().state === 'ready').catch(
      (x: unknown) => {
        throw new Error(`${(x as Error).message}: ${JSON.stringify(sandboxHost(node, 'disk-filler').status())}`);
      },
    );
    // Over quota, its folder is read-only: writes fail with a clear code, reads still work.
    expect(await query(node, 'disk-filler.write')).toBe('EROFS');
    expect(await query(node, 'disk-filler.read')).toBe(1024 * 1024);
    const written = (await query(node, 'disk-filler.count')) as number;
    console.log(`[hostile disk] ${written} MiB written against a quota of 8 MiB`);
    expect(written).toBeLessThan(64);
    expect(await snapshot(dataDir, [...own, path.join(dataDir, 'db')])).toEqual(before);
  });

  it('hostile - spinning CPU: the well-behaved module keeps answering; the spinner is stopped at its deadline', async () => {
    const e = await whileProbingGood(mesh, 'cpu spinner', () => failure(query(node, 'busy.spin', {}, 1500)));
    expect(e.code).toBe('DEADLINE_EXCEEDED');
    await waitFor('busy restarted', () => {
      const s = sandboxHost(node, 'busy').status();
      return s.restarts >= 1 && s.state === 'ready';
    });
    expect(await query(node, 'busy.ping')).toBe('pong');
  });
});
