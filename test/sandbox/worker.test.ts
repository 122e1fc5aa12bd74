import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FAST_RESTART, failure, hostile, query, sandboxHost, waitFor, whileProbingGood } from './support.ts';

const worker = (name: string, limits: Record<string, number> = {}) => ({
  path: hostile(name),
  isolation: 'worker' as const,
  restart: FAST_RESTART,
  limits,
});

/** Worker-thread sandboxes: own heap and a terminable thread, no file restrictions. */
describe('sandbox - worker isolation', () => {
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    node = await startTestNode({
      modules: [
        hostile('good'),
        worker('busy', { unresponsiveMs: 500 }),
        worker('oom', { maxHeapMb: 64 }),
        worker('exiter'),
        worker('thrower'),
        worker('snoop'),
      ],
    });
    mesh = await connect({ nodes: [node.grpcAddress] });
  });
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  const restarted = async (module: string, restarts: number) => {
    await waitFor(
      `${module} restart`,
      () => sandboxHost(node, module).status().restarts >= restarts && sandboxHost(node, module).status().state === 'ready',
    );
    expect(await query(node, `${module}.ping`)).toBe('pong');
  };

  it('worker - a synchronous infinite loop gets DEADLINE_EXCEEDED at its deadline; the thread is terminated and restarted', async () => {
    await whileProbingGood(mesh, 'worker busy loop', async () => {
      const t0 = Date.now();
      expect(await failure(query(node, 'busy.spin', {}, 1000))).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      const took = Date.now() - t0;
      console.log(`[deadline] worker busy.spin with a 1000 ms deadline answered after ${took} ms`);
      expect(took).toBeLessThan(1000 + 1500);
      await restarted('busy', 1);
    });
  });

  it('worker - out of memory (64 MB heap) ends only the worker', async () => {
    await whileProbingGood(mesh, 'worker out of memory', async () => {
      expect(await failure(query(node, 'oom.grow', {}, 30_000))).toMatchObject({ code: 'UNAVAILABLE' });
      await restarted('oom', 1);
    });
    expect(sandboxHost(node, 'oom').status().lastError).toMatch(/out of memory/);
  });

  it('worker - process.exit and uncaught exceptions end only the worker', async () => {
    await whileProbingGood(mesh, 'worker exit and uncaught', async () => {
      expect(await failure(query(node, 'exiter.exit'))).toMatchObject({ code: 'UNAVAILABLE' });
      await restarted('exiter', 1);
      expect(await query(node, 'thrower.uncaught')).toBe('armed');
      await waitFor(
        'thrower restart',
        () => sandboxHost(node, 'thrower').status().restarts === 1 && sandboxHost(node, 'thrower').status().state === 'ready',
      );
    });
    expect(sandboxHost(node, 'thrower').status().lastError).toMatch(/thrower: uncaught/);
  });

  it('worker - what a worker cannot do, and what it can (no file restrictions: use process isolation for untrusted code)', async () => {
    const { cwd } = (await query(node, 'good.whereami')) as { cwd: string };
    const port = Number(node.httpAddress.split(':').pop());
    const report = (await query(node, 'snoop.escape', {
      otherFile: path.join(cwd, 'files', 'nothing.txt'),
      outside: path.join(path.dirname(cwd), 'snoop', 'files', 'planted.txt'),
      port,
      tryCwd: false, // a worker's working folder is the node's
    })) as Record<string, string>;
    console.log(`[restrictions, worker] ${JSON.stringify(report)}`);
    // Signals would reach the node itself (same pid): refused by the sandbox's lockdown.
    expect(report).toMatchObject({
      signalParent: 'ERR_ACCESS_DENIED',
      signalGroup: 'ERR_ACCESS_DENIED',
      debugParent: 'ERR_ACCESS_DENIED',
      addon: 'ERR_ACCESS_DENIED',
    });
    // Not refused in a worker: the file system (documented).
    expect(report.etcPasswd).toBe('ok');
  });
});
