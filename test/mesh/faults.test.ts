import { connect } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { NO_NATS, natsEnv, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

const TTL_MS = 1500;

describe.skipIf(NO_NATS)('mesh - faults with real processes', () => {
  let nats: NatsServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const procs: NodeProcess[] = [];

  const spawnMeshNode = async (id: string, on = nats) => {
    const p = await spawnNode(
      [
        '--id',
        id,
        '--nats',
        on.url,
        '--ttl',
        String(TTL_MS),
        '--isolation',
        'inline',
        '--data-dir',
        path.join(tmp.dir, id),
        '--module',
        path.join(SHIPPED_MODULES, 'examples'),
      ],
      natsEnv(on, 'node'),
    );
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    tmp = await tempDir();
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await nats.stop();
    await tmp.remove();
  });

  // The server expires the heartbeat (its removal marker drops the node) and counts whole seconds.
  const SERVER_TTL_MS = Math.ceil(TTL_MS / 1000) * 1000;

  it('kill -9 of a node: it leaves the mesh within TTL (in whole seconds) + 1 s', async () => {
    const victim = await spawnMeshNode('victim');
    const mesh = await connect({ nats: nats.as('client') });
    try {
      await expect.poll(async () => (await mesh.describe()).nodes.some((n) => n.id === 'victim'), { timeout: 5000 }).toBe(true);
      const t0 = Date.now();
      victim.proc.kill('SIGKILL');
      await expect
        .poll(async () => (await mesh.describe()).nodes.some((n) => n.id === 'victim'), {
          timeout: SERVER_TTL_MS + 3000,
          interval: 50,
        })
        .toBe(false);
      const gone = Date.now() - t0;
      console.log(`killed node left the mesh after ${gone} ms (TTL ${TTL_MS} ms)`);
      expect(gone).toBeLessThanOrEqual(SERVER_TTL_MS + 1000);
    } finally {
      await mesh.close();
    }
  });

  it('zero failed calls for a replicated analytic while one replica is killed under load', async () => {
    const a = await spawnMeshNode('replica-a');
    await spawnMeshNode('replica-b');
    const mesh = await connect({ nats: nats.as('client'), defaultTimeoutMs: 5000 });
    try {
      await expect
        .poll(async () => (await mesh.describe()).analytics.find((x) => x.name === 'hello_user')?.nodes.length, { timeout: 5000 })
        .toBe(2);
      let ok = 0;
      const failures: string[] = [];
      const served = new Set<string>();
      const stopAt = Date.now() + 2500;
      setTimeout(() => a.proc.kill('SIGKILL'), 800);
      // 16 workers calling back to back: the load the kill lands in.
      await Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = 0; Date.now() < stopAt; i++) {
            try {
              expect(await mesh.query.hello_user!({ user: `w${w}-${i}` })).toBe(`Hello, w${w}-${i}!`);
              ok++;
            } catch (e) {
              failures.push((e as Error).message);
            }
          }
        }),
      );
      for (const n of (await mesh.describe()).nodes) served.add(n.id);
      console.log(`replicated calls during the kill: ${ok} ok, ${failures.length} failed`);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(100);
      expect(served.has('replica-b')).toBe(true);
    } finally {
      await mesh.close();
    }
  });

  it('a NATS restart is recovered without restarting nodes or clients', async () => {
    const own = await startNatsServer();
    const node = await spawnMeshNode('survivor', own);
    const mesh = await connect({ nats: own.as('client') });
    try {
      await expect.poll(async () => (await mesh.describe()).nodes.some((n) => n.id === 'survivor'), { timeout: 5000 }).toBe(true);
      const port = own.port;
      const store = own.storeDir;
      await own.stop({ keepStore: true });
      const again = await startNatsServer({ port, storeDir: store, auth: own.auth ?? false });
      try {
        // A node that joins after the restart is seen by the old client, and the old node is still there.
        const late = await spawnMeshNode('late', again);
        await expect
          .poll(async () => (await mesh.describe()).nodes.map((n) => n.id).sort(), { timeout: 15_000 })
          .toEqual(['late', 'survivor']);
        await late.stop();
        expect(await mesh.query.hello_user!({ user: 'after restart' })).toBe('Hello, after restart!');
        expect(node.proc.exitCode).toBeNull();
      } finally {
        await again.stop();
      }
    } finally {
      await mesh.close();
    }
  }, 40_000);

  it('NATS unreachable at start: the node serves direct calls and logs its retries; the client still uses direct nodes', async () => {
    const dead = 'nats://127.0.0.1:1'; // nothing listens on port 1
    const node = await startTestNode({
      id: 'lonely',
      nats: dead,
      defaultIsolation: 'inline',
      modules: [path.join(SHIPPED_MODULES, 'examples')],
    });
    try {
      await expect.poll(() => node.logs.some((r) => r.msg.includes('NATS unreachable')), { timeout: 5000 }).toBe(true);
      const warnings: string[] = [];
      const mesh = await connect({
        nats: dead,
        nodes: [node.grpcAddress],
        discoveryTimeoutMs: 300,
        log: (_l, m) => warnings.push(m),
      });
      try {
        expect(await mesh.query.hello_user!({ user: 'direct' })).toBe('Hello, direct!');
        await expect.poll(() => warnings.some((w) => w.includes('unreachable')), { timeout: 5000 }).toBe(true);
      } finally {
        await mesh.close();
      }
    } finally {
      await node.stop();
    }
  });
});
