import { spawnSync } from 'node:child_process';
import {
  Advertiser,
  createMeshNatsAuth,
  DEFAULT_BUCKET,
  nodeViewSchema,
  openRegistryBucket,
  RegistryWatcher,
} from '@insights/registry';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { connect as natsConnect, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { REPO_ROOT } from '../support/tmp.ts';

const TTL_MS = 1500;
const STREAM = `KV_${DEFAULT_BUCKET}`;
const view = (id: string) => nodeViewSchema.parse({ id, grpcAddress: '127.0.0.1:1', state: 'serving' });
/** A bucket as versions before server-side TTL created it: no per-message TTL, no removal markers. */
const createOldBucket = (nc: NatsConnection) => new Kvm(jetstream(nc)).create(DEFAULT_BUCKET, { history: 1, ttl: 3_600_000 });
const streamConfig = async (nc: NatsConnection) => (await (await jetstreamManager(nc)).streams.info(STREAM)).config;
const beatOf = async (kv: KV, id: string) => JSON.parse((await kv.get(`alive.${id}`))!.string()) as Record<string, unknown>;

/**
 * Issue 17, "registry liveness with server-side TTL markers": heartbeats carry a per-message TTL,
 * and the server's removal marker, not each watcher's timer, takes a silent node out of the views.
 */
describe.skipIf(NO_NATS)('registry ttl - liveness the NATS server enforces', () => {
  let nats: NatsServer;
  let admin: NatsConnection;
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const as = async (role: 'node' | 'client' | 'operator') => {
    const nc = await natsConnect(nats.connectOptions(role));
    closers.push(() => nc.close());
    return nc;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    admin = await natsConnect(nats.connectOptions('admin'));
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await admin?.close();
    await nats?.stop();
  });

  it('ttl - a node gone without withdrawing leaves the views of a client and an operator through the server removal marker, and its heartbeat leaves the bucket', async () => {
    const victimNc = await natsConnect(nats.connectOptions('node'));
    const victim = new Advertiser(victimNc, view('victim'), { ttlMs: TTL_MS, onError: () => {} });
    await victim.start();
    closers.push(() => victim.withdraw());
    // Created by the node user, with what a server-side TTL needs.
    expect(await streamConfig(admin)).toMatchObject({ allow_msg_ttl: true, subject_delete_marker_ttl: expect.any(Number) });
    const kv = await openRegistryBucket(admin);
    expect(await beatOf(kv, 'victim')).toMatchObject({ serverTtl: true });

    const watch = async (role: 'client' | 'operator') => {
      const entries: KvWatchEntry[] = [];
      const seen = { present: false, droppedAfterMarker: undefined as boolean | undefined };
      const marker = () => entries.some((e) => e.key === 'alive.victim' && e.operation === 'PURGE');
      const watcher = await RegistryWatcher.start(await as(role), {
        onEntry: (e) => entries.push(e),
        onChange: (nodes) => {
          const present = nodes.some((n) => n.id === 'victim');
          if (seen.present && !present && seen.droppedAfterMarker === undefined) seen.droppedAfterMarker = marker();
          seen.present ||= present;
        },
      });
      closers.push(() => watcher.close());
      return { watcher, seen, marker };
    };
    const client = await watch('client');
    const operator = await watch('operator');
    for (const w of [client, operator])
      await expect.poll(() => w.watcher.nodes().map((n) => n.id), { timeout: 10_000 }).toContain('victim');

    // The node's connection dies with it: no withdrawal, no more heartbeats.
    await victimNc.close();
    for (const w of [client, operator]) {
      await expect.poll(() => w.watcher.nodes().map((n) => n.id), { timeout: 15_000 }).not.toContain('victim');
      expect(w.marker()).toBe(true); // the server's removal reached the watch
      expect(w.seen.droppedAfterMarker).toBe(true); // and it, not the watcher's fallback timer, dropped the node
    }
    // Gone from the bucket itself (only the marker is left), not kept until the bucket's max age.
    const left = await kv.get('alive.victim');
    expect(left === null || left.operation === 'PURGE').toBe(true);
    expect((await kv.get('node.victim'))?.operation).toBe('PUT'); // the advertisement expires later (AD_TTL_MS)
  }, 30_000);

  it('ttl - a node whose heartbeat expired while it stalled writes it again at once, and reports no tampering', async () => {
    const expired: string[] = [];
    const tampered: string[] = [];
    const stalled = new Advertiser(await as('node'), view('stalled'), {
      ttlMs: 1000,
      onError: () => {},
      onExpired: (key) => expired.push(key),
      onTampered: (key, op) => tampered.push(`${key} ${op}`),
    });
    await stalled.start();
    closers.push(() => stalled.withdraw());
    const kv = await openRegistryBucket(admin);
    await expect.poll(async () => (await kv.get('alive.stalled'))?.operation, { timeout: 5000 }).toBe('PUT');
    // Block this process (the node's event loop) until the server has removed the heartbeat.
    const removedAt = stallUntilRemoved(nats.url, nats.auth!.seeds.admin!, 'alive.stalled');
    await expect
      .poll(async () => ((e) => e?.operation === 'PUT' && e.revision > removedAt)(await kv.get('alive.stalled')), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(tampered).toEqual([]);
    // Reported as an expiry when the removal reaches its watch before its new beat is stored (else it is already overwritten).
    expect(expired.every((k) => k === 'alive.stalled')).toBe(true);
  }, 30_000);
});

describe.skipIf(NO_NATS)('registry ttl - a NATS server back after an outage longer than the TTL', () => {
  it('ttl - the server marks every heartbeat expired as it comes back; watchers keep the live nodes until they beat again', async () => {
    const first = await startNatsServer();
    const { port, storeDir, auth } = first;
    const connect = (role: 'node' | 'client') =>
      natsConnect({ ...first.connectOptions(role), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const nodeNc = await connect('node');
    const clientNc = await connect('client');
    const node = new Advertiser(nodeNc, view('survivor'), { ttlMs: TTL_MS, onError: () => {} });
    let again: NatsServer | undefined;
    let watcher: RegistryWatcher | undefined;
    try {
      await node.start();
      const lists: string[][] = [];
      const entries: KvWatchEntry[] = [];
      watcher = await RegistryWatcher.start(clientNc, {
        onChange: (nodes) => lists.push(nodes.map((n) => n.id)),
        onEntry: (e) => entries.push(e),
      });
      await expect.poll(() => lists.at(-1), { timeout: 10_000 }).toEqual(['survivor']);
      const lastBefore = Math.max(...entries.map((e) => e.revision));
      await first.stop({ keepStore: true });
      // Down for more than the heartbeat's TTL (2 s on the server): it expires as the server recovers.
      await new Promise((r) => setTimeout(r, 3500));
      again = await startNatsServer({ port, storeDir, auth: auth ?? false });
      // The rebuilt watch hears the node beat again (after the server's marker), and never dropped it meanwhile.
      await expect
        .poll(() => entries.some((e) => e.key === 'alive.survivor' && e.operation === 'PUT' && e.revision > lastBefore + 1), {
          timeout: 20_000,
        })
        .toBe(true);
      expect(watcher.nodes().map((n) => n.id)).toEqual(['survivor']);
      expect(lists.every((l) => l.includes('survivor'))).toBe(true);
    } finally {
      watcher?.close();
      await node.withdraw();
      await nodeNc.close();
      await clientNc.close();
      await again?.stop();
      await first.stop();
    }
  }, 40_000);
});

describe.skipIf(NO_NATS)('registry ttl - a NATS server stalled for longer than the TTL', () => {
  it("ttl - the server's markers that come out of the stall do not drop the live nodes from a watcher's view", async () => {
    const nats = await startNatsServer();
    const ncs = await Promise.all(
      ['node', 'node', 'client'].map((r) => natsConnect(nats.connectOptions(r as 'node' | 'client'))),
    );
    const ttlMs = 3000;
    const nodes = ['a', 'b'].map((id, i) => new Advertiser(ncs[i]!, view(id), { ttlMs, onError: () => {} }));
    let watcher: RegistryWatcher | undefined;
    try {
      await Promise.all(nodes.map((n) => n.start()));
      const lists: string[][] = [];
      const purgesAfterStall: string[] = [];
      let stalled = false;
      watcher = await RegistryWatcher.start(ncs[2]!, {
        onChange: (list) => lists.push(list.map((n) => n.id)),
        onEntry: (e) => {
          if (stalled && e.operation === 'PURGE') purgesAfterStall.push(e.key);
        },
      });
      await expect.poll(() => lists.at(-1), { timeout: 10_000 }).toEqual(['a', 'b']);
      // The server stops for longer than the TTL (nobody can write, the watch hears nothing) but
      // less than the watcher's patience: it comes back, expires both heartbeats, and the nodes
      // write again a moment later. On a loaded machine the server may take the writes queued in
      // its sockets before it expires anything (no marker, nothing to judge): stall it again.
      stalled = true;
      lists.length = 0;
      for (let attempt = 0; attempt < 4 && purgesAfterStall.length === 0; attempt++) {
        nats.process.kill('SIGSTOP');
        await new Promise((r) => setTimeout(r, ttlMs + 600));
        nats.process.kill('SIGCONT');
        await new Promise((r) => setTimeout(r, ttlMs));
      }
      expect(purgesAfterStall.length).toBeGreaterThan(0);
      expect(lists.filter((l) => l.length < 2)).toEqual([]); // every list handed out since the first stall
      expect(watcher.nodes().map((n) => n.id)).toEqual(['a', 'b']);
    } finally {
      watcher?.close();
      nats.process.kill('SIGCONT');
      await Promise.all(nodes.map((n) => n.withdraw().catch(() => {})));
      await Promise.all(ncs.map((nc) => nc.close()));
      await nats.stop();
    }
  }, 60_000);
});

describe.skipIf(NO_NATS)('registry ttl - buckets made before server-side TTL', () => {
  it('ttl - a node upgrades an old bucket, a per-node user too', async () => {
    const auth = createMeshNatsAuth({ nodeIds: ['lms-1'] });
    const nats = await startNatsServer({ auth });
    const connections: NatsConnection[] = [];
    const connect = async (role: string) => {
      const nc = await natsConnect({
        servers: nats.url,
        authenticator: nkeyAuthenticator(new TextEncoder().encode(auth.seeds[role]!)),
      });
      connections.push(nc);
      return nc;
    };
    try {
      const admin = await connect('admin');
      await createOldBucket(admin);
      expect((await streamConfig(admin)).allow_msg_ttl ?? false).toBe(false);
      const unavailable: string[] = [];
      const lms = new Advertiser(await connect('node:lms-1'), view('lms-1'), {
        ttlMs: TTL_MS,
        onServerTtlUnavailable: (r) => unavailable.push(r),
      });
      await lms.start();
      expect(await streamConfig(admin)).toMatchObject({ allow_msg_ttl: true, subject_delete_marker_ttl: expect.any(Number) });
      expect(await beatOf(await openRegistryBucket(admin), 'lms-1')).toMatchObject({ serverTtl: true });
      expect(unavailable).toEqual([]);
      await lms.withdraw();
    } finally {
      for (const nc of connections) await nc.close();
      await nats.stop();
    }
  }, 30_000);

  it('ttl - a NATS user that may not upgrade it keeps working as before, said once, and watchers time its heartbeat themselves', async () => {
    // Everything but stream updates: what a node user of an older deployment's permissions may be.
    const nats = await startNatsServer({
      auth: false,
      extraConfig:
        'authorization { users: [ { user: "old", password: "old", permissions: { publish: { deny: ["$JS.API.STREAM.UPDATE.>"] } } } ] }',
    });
    const options: ConnectionOptions = { servers: nats.url, user: 'old', pass: 'old' };
    const connections: NatsConnection[] = [];
    const connect = async () => {
      const nc = await natsConnect(options);
      connections.push(nc);
      return nc;
    };
    let watcher: RegistryWatcher | undefined;
    try {
      await createOldBucket(await connect());
      const unavailable: string[] = [];
      const nodeNc = await connect();
      const old = new Advertiser(nodeNc, view('old'), {
        ttlMs: TTL_MS,
        onError: () => {},
        onServerTtlUnavailable: (r) => unavailable.push(r),
      });
      await old.start();
      const entries: KvWatchEntry[] = [];
      watcher = await RegistryWatcher.start(await connect(), { onEntry: (e) => entries.push(e) });
      await expect.poll(() => watcher!.nodes().map((n) => n.id), { timeout: 10_000 }).toEqual(['old']);
      expect(await beatOf(await openRegistryBucket(await connect()), 'old')).not.toHaveProperty('serverTtl');
      expect(unavailable).toHaveLength(1);
      expect(unavailable[0]).toMatch(/cannot enable it/);
      await nodeNc.close();
      await expect.poll(() => watcher!.nodes(), { timeout: 10_000 }).toEqual([]);
      expect(entries.some((e) => e.operation !== 'PUT')).toBe(false); // no marker: the watcher's own timer dropped it
      await old.withdraw();
      expect(unavailable).toHaveLength(1);
    } finally {
      watcher?.close();
      for (const nc of connections) await nc.close();
      await nats.stop();
    }
  }, 30_000);
});

/**
 * Blocks this process, as a stalled node's event loop, until the server has replaced `key` with
 * its removal marker (a child process polls the bucket meanwhile); returns the marker's revision.
 */
function stallUntilRemoved(url: string, seed: string, key: string): number {
  const script = `
    import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
    import { Kvm } from '@nats-io/kv';
    const nc = await connect({ servers: process.env.NATS_URL, authenticator: nkeyAuthenticator(new TextEncoder().encode(process.env.NATS_SEED)) });
    const kv = await new Kvm(nc).open(${JSON.stringify(DEFAULT_BUCKET)});
    const stop = Date.now() + 20000;
    let e = await kv.get(${JSON.stringify(key)});
    while (Date.now() < stop && e?.operation === 'PUT') {
      await new Promise((r) => setTimeout(r, 50));
      e = await kv.get(${JSON.stringify(key)});
    }
    await nc.close();
    if (e?.operation === 'PUT') process.exit(3);
    process.stdout.write(String(e?.revision ?? 0));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, NATS_URL: url, NATS_SEED: seed },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`the server did not remove ${key} (exit ${r.status}) ${r.stderr}`);
  return Number(r.stdout);
}
