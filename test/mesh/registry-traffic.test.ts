import { NodeConnection } from '@insights/client';
import { Advertiser, NodeRegistryWatch, nodeViewSchema, openRegistryBucket } from '@insights/registry';
import { jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

const TTL_MS = 1500;
const STREAM = 'KV_insights-registry';
const EVERYTHING = '$KV.insights-registry.>';
const ownKeys = (id: string) => `$KV.insights-registry.*.${id}`;

/**
 * Issue 17: registry traffic O(N) in all. Every registry watch is a JetStream consumer on the
 * bucket's stream, so its filter says which entries a node receives, and its delivered count
 * how many it has received.
 */
describe.skipIf(NO_NATS)('registry traffic - nodes follow their own keys until they need the mesh', () => {
  let nats: NatsServer;
  let admin: NatsConnection;
  let kv: KV;
  const nodes: TestNode[] = [];

  const watches = async () => {
    const jsm = await jetstreamManager(admin);
    const out: { filter: string; delivered: number }[] = [];
    for await (const c of jsm.consumers.list(STREAM))
      // A stopped watch leaves an unbound consumer that delivers nothing until the server drops it.
      if (c.push_bound === true)
        out.push({
          filter: c.config.filter_subject ?? (c.config.filter_subjects ?? []).join(','),
          delivered: c.delivered.consumer_seq,
        });
    return out.sort((a, b) => (a.filter < b.filter ? -1 : 1));
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    const start = (id: string, modules: string[]) =>
      startTestNode({ id, nats: nats.as('node'), registry: { ttlMs: TTL_MS }, defaultIsolation: 'inline', modules });
    nodes.push(
      ...(await Promise.all([
        start('lms', [path.join(SHIPPED_MODULES, 'examples')]),
        start('forums', [path.join(SHIPPED_MODULES, 'testmodule')]),
        start('wiki', [path.join(FIXTURE_MODULES, 'caller')]),
      ])),
    );
    admin = await natsConnect(nats.connectOptions('admin'));
    kv = await openRegistryBucket(admin);
  }, 60_000);

  afterAll(async () => {
    await admin?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await nats?.stop();
  });

  it('traffic - nodes without nested calls receive only their own entries; a nested call has its node follow the mesh, and reaches the other node', async () => {
    // Each node reads its own keys back, and nothing watches the whole registry.
    await expect
      .poll(async () => (await watches()).map((w) => w.filter), { timeout: 10_000 })
      .toEqual(['forums', 'lms', 'wiki'].map(ownKeys));
    // A few heartbeats later each has received its own beats (one every TTL/3), still through its own filter only.
    await expect
      .poll(async () => (await watches()).every((w) => w.filter !== EVERYTHING && w.delivered >= 4), { timeout: 10_000 })
      .toBe(true);

    // wiki's module calls examples.hello_user, served by lms only.
    const wiki = new NodeConnection(nodes[2]!.grpcAddress);
    try {
      expect(
        await wiki.callUnary({ kind: 'query', name: 'greet_via_mesh', args: { user: 'ada' }, deadline: Date.now() + 10_000 }),
      ).toMatchObject({ type: 'json', value: 'relayed: Hello, ada!' });
    } finally {
      wiki.close();
    }
    // wiki now follows the whole registry with one watch (its own-keys watch stopped); the other two still follow their own keys.
    await expect
      .poll(async () => (await watches()).map((w) => w.filter), { timeout: 10_000 })
      .toEqual([EVERYTHING, ownKeys('forums'), ownKeys('lms')].sort());
    // Its one watch read every node's entries: more than its own two.
    expect((await watches()).find((w) => w.filter === EVERYTHING)!.delivered).toBeGreaterThanOrEqual(6);
  });

  it('traffic - a node that follows only its own keys still restores a deleted entry at once', async () => {
    const deletedAt = Date.now();
    await kv.delete('node.forums');
    await kv.delete('alive.forums');
    await expect.poll(async () => (await kv.get('node.forums'))?.operation, { timeout: 5000, interval: 10 }).toBe('PUT');
    await expect.poll(async () => (await kv.get('alive.forums'))?.operation, { timeout: 5000, interval: 10 }).toBe('PUT');
    console.info(`own entry restored after ${Date.now() - deletedAt} ms`);
    expect(nodes[1]!.logs.some((r) => r.msg.includes('registry entry changed by someone else'))).toBe(true);
  });
});

describe.skipIf(NO_NATS)('node registry watch - one watch, widened on use, narrowed when idle', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const ads: Advertiser[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await natsConnect(nats.connectOptions('admin'));
    for (const id of ['a', 'b', 'c']) {
      const ad = new Advertiser(
        nc,
        nodeViewSchema.parse({ id, grpcAddress: `127.0.0.1:${id.charCodeAt(0)}`, state: 'serving' }),
        {
          ttlMs: 1500,
        },
      );
      await ad.start();
      ads.push(ad);
    }
  }, 30_000);

  afterAll(async () => {
    for (const ad of ads) await ad.withdraw();
    await nc?.close();
    await nats?.stop();
  });

  it('watch - a node whose keys are not written yet watches at once (an empty snapshot is not waited for)', async () => {
    // The bucket holds other nodes' entries, none of this one's: no entry will end its snapshot.
    const watch = await NodeRegistryWatch.start(nc, 'nobody');
    try {
      expect(watch.nodes()).toEqual([]);
      expect(watch.seesSelf()).toBe(false);
    } finally {
      watch.close();
    }
  }, 10_000);

  it("watch - receives only its node's keys; use() reads the whole mesh; idle, it narrows back", async () => {
    const keys: string[] = [];
    const watch = await NodeRegistryWatch.start(nc, 'a', { idleMs: 500, onEntry: (e) => keys.push(e.key) });
    try {
      await expect.poll(() => keys.length, { timeout: 5000 }).toBeGreaterThanOrEqual(4); // a few of a's beats
      expect(keys.every((k) => k.endsWith('.a'))).toBe(true);
      expect(watch.nodes().map((n) => n.id)).toEqual(['a']);
      expect(watch.seesSelf()).toBe(true);
      expect(watch.meshNodes()).toBeUndefined();

      await watch.use();
      // Held (a nested call in flight), it stays wide past the idle time; released, it narrows.
      const release = watch.hold();
      expect(watch.meshNodes()?.map((n) => n.id)).toEqual(['a', 'b', 'c']);
      expect(keys.some((k) => k.endsWith('.b'))).toBe(true);
      const seen: string[][] = [];
      const stop = watch.subscribe((nodes) => seen.push(nodes.map((n) => n.id)));
      await ads[2]!.withdraw();
      await expect.poll(() => seen.at(-1), { timeout: 5000 }).toEqual(['a', 'b']);
      await new Promise((r) => setTimeout(r, 1000));
      expect(watch.meshNodes()).toBeDefined();
      release();
      await expect.poll(() => watch.meshNodes(), { timeout: 10_000 }).toBeUndefined();
      expect(seen.at(-1)).toEqual(['a']);
      const narrowedAt = keys.length;
      await expect.poll(() => keys.length - narrowedAt, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
      expect(keys.slice(narrowedAt).every((k) => k.endsWith('.a'))).toBe(true);
      stop();
    } finally {
      watch.close();
    }
  });
});
