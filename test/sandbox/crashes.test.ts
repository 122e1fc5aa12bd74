import { rm } from 'node:fs/promises';
import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import type { WireDescribeResponse } from '@insights/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FAST_RESTART, failure, hostile, query, sandboxHost, waitFor, whileProbingGood } from './support.ts';

/** Module sandboxes (process isolation, the default) that crash every way the issue lists. */
describe('sandbox - crashes', () => {
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    node = await startTestNode({
      modules: [
        hostile('good'),
        hostile('throw-at-import'),
        { path: hostile('thrower'), restart: FAST_RESTART },
        { path: hostile('exiter'), restart: FAST_RESTART },
        { path: hostile('oom'), restart: FAST_RESTART, limits: { maxHeapMb: 64 } },
        { path: hostile('native-crash'), restart: FAST_RESTART },
        { path: hostile('flaky-load'), restart: FAST_RESTART },
      ],
    });
    mesh = await connect({ nodes: [node.grpcAddress] });
    // Seven modules, each bundled in its own process, probed and started: over 30 s on a loaded machine.
  }, 120_000);
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  /** Waits until the module's sandbox is back (one more restart) and answers again. */
  const restarted = async (module: string, restarts: number) => {
    await waitFor(
      `${module} restart`,
      () => sandboxHost(node, module).status().restarts >= restarts && sandboxHost(node, module).status().state === 'ready',
    );
    expect(await query(node, `${module}.ping`)).toBe('pong');
  };

  it('crashes - throw at import: the module is listed as failed with its reason, the others serve', async () => {
    expect(node.failedModules).toEqual([expect.objectContaining({ error: expect.stringMatching(/fails at import on purpose/) })]);
    expect(await query(node, 'good.ping')).toBe('pong');
  });

  it('crashes - throws per call: INTERNAL with the message, and the same sandbox keeps serving', async () => {
    const host = sandboxHost(node, 'thrower');
    const pid = host.pid;
    await whileProbingGood(mesh, 'throws per call', async () => {
      for (let i = 0; i < 20; i++) {
        expect(await failure(query(node, 'thrower.sync'))).toMatchObject({
          code: 'INTERNAL',
          message: 'thrower.sync failed: thrower: sync',
        });
        expect(await failure(query(node, 'thrower.async'))).toMatchObject({ code: 'INTERNAL', message: /thrower: async/ });
      }
    });
    expect(host.pid).toBe(pid);
    expect(host.status()).toMatchObject({ state: 'ready', restarts: 0, errors: 40 });
  });

  it('crashes - an exception thrown outside any call ends the sandbox, which restarts', async () => {
    const host = sandboxHost(node, 'thrower');
    await whileProbingGood(mesh, 'uncaught exception', async () => {
      expect(await query(node, 'thrower.uncaught')).toBe('armed');
      await waitFor('thrower restart', () => host.status().restarts === 1 && host.status().state === 'ready');
    });
    expect(host.status().lastError).toMatch(/exited with code 1.*thrower: uncaught/);
    expect(await failure(query(node, 'thrower.sync'))).toMatchObject({ code: 'INTERNAL' });
  });

  it('crashes - process.exit mid-call: the caller gets UNAVAILABLE at once, the sandbox restarts', async () => {
    await whileProbingGood(mesh, 'process.exit', async () => {
      const t0 = Date.now();
      const e = await failure(query(node, 'exiter.exit', {}, 30_000));
      expect(e).toMatchObject({ code: 'UNAVAILABLE', message: /exited with code 3/ });
      expect(Date.now() - t0).toBeLessThan(2000);
      await restarted('exiter', 1);
    });
    expect(sandboxHost(node, 'exiter').status().lastError).toMatch(/exited with code 3/);
  });

  it('crashes - killed with SIGKILL: calls in flight fail with UNAVAILABLE, the sandbox restarts', async () => {
    const host = sandboxHost(node, 'exiter');
    const pid = host.pid!;
    await whileProbingGood(mesh, 'SIGKILL', async () => {
      const inFlight = Array.from({ length: 5 }, () => failure(query(node, 'exiter.hold', { ms: 30_000 }, 30_000)));
      await waitFor('calls in flight', () => host.status().inFlight === 5);
      process.kill(pid, 'SIGKILL');
      for (const e of await Promise.all(inFlight)) expect(e).toMatchObject({ code: 'UNAVAILABLE', message: /SIGKILL/ });
      await restarted('exiter', 2);
    });
    expect(host.pid).not.toBe(pid);
  });

  it('crashes - out of memory (64 MB heap): UNAVAILABLE, the reason in lastError, restarted', async () => {
    await whileProbingGood(mesh, 'out of memory', async () => {
      expect(await failure(query(node, 'oom.grow', {}, 30_000))).toMatchObject({ code: 'UNAVAILABLE' });
      await restarted('oom', 1);
    });
    expect(sandboxHost(node, 'oom').status().lastError).toMatch(/heap out of memory|Reached heap limit/);
  });

  it('crashes - a native crash (abort): UNAVAILABLE, restarted', async () => {
    await whileProbingGood(mesh, 'native crash', async () => {
      expect(await failure(query(node, 'native-crash.abort'))).toMatchObject({ code: 'UNAVAILABLE', message: /SIGABRT/ });
      await restarted('native-crash', 1);
    });
  });

  it('supervision - a crash loop marks the module degraded (Describe, page), fails fast, and recovers once it stays up', async () => {
    const host = sandboxHost(node, 'flaky-load');
    const schema = async () =>
      ((await (await fetch(`http://${node.httpAddress}/schema`)).json()) as WireDescribeResponse).modules.find(
        (m) => m.name === 'flaky-load',
      );
    const { cwd } = (await query(node, 'good.whereami')) as { cwd: string };
    const poison = path.join(path.dirname(cwd), 'flaky-load', 'files', 'poison');
    await whileProbingGood(mesh, 'crash loop', async () => {
      expect(await failure(query(node, 'flaky-load.poison'))).toMatchObject({ code: 'UNAVAILABLE' });
      await waitFor('degraded', () => host.status().state === 'degraded');
      expect(await schema()).toMatchObject({ state: 'degraded', lastError: expect.stringMatching(/poisoned at import/) });
      expect(await (await fetch(`http://${node.httpAddress}/`)).text()).toMatch(
        /flaky-load <small>[^<]* · degraded · [^<]*poisoned at import/,
      );
      const t0 = Date.now();
      expect(await failure(query(node, 'flaky-load.ping'))).toMatchObject({ code: 'UNAVAILABLE', message: /degraded/ });
      expect(Date.now() - t0).toBeLessThan(200);
      await rm(poison);
      // Back up after the next backoff, still degraded until it has stayed up (stableAfterMs).
      await waitFor('loaded again', async () => (await query(node, 'flaky-load.ping').catch(() => '')) === 'pong');
      await waitFor('recovered', () => host.status().state === 'ready');
    });
    expect(await schema()).toMatchObject({ state: 'ready', stats: { restarts: expect.any(Number) } });
    expect(host.status().restarts).toBeGreaterThanOrEqual(3);
  });

  it('node - stays healthy: healthz, and every sandboxed module ready again', async () => {
    expect(await (await fetch(`http://${node.httpAddress}/healthz`)).json()).toEqual({ status: 'ok' });
    for (const m of ['good', 'thrower', 'exiter', 'oom', 'native-crash', 'flaky-load'])
      expect(sandboxHost(node, m).status().state, m).toBe('ready');
  });
});
