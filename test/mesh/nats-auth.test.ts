import path from 'node:path';
import { connect, generateMeshKeys } from '@insights/client';
import { OPEN_NATS_WARNING, openRegistryBucket } from '@insights/registry';
import { connect as natsConnect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const hello = { id: 'raw-1', time: '2026-01-05T10:00:00Z', source: 'test', type: 'hello', payload: {} };

/**
 * Issue 15: "a raw NATS publish to insights.events.test.hello, with no ingest token, was stored
 * in the events stream". The launcher's NATS has a user per role (createMeshNatsAuth); here
 * every role tries what it must not do, against a running node.
 */
describe.skipIf(NO_NATS)('nats auth - every role gets only its subjects', () => {
  let nats: NatsServer;
  let node: TestNode;
  let admin: NatsConnection;
  const as = (role: 'client' | 'ingest' | 'node' | 'operator') => natsConnect(nats.connectOptions(role));

  const streamMessages = async () => (await (await jetstreamManager(admin)).streams.info('INSIGHTS_EVENTS')).state.messages;

  beforeAll(async () => {
    nats = await startNatsServer();
    node = await startTestNode({
      id: 'guarded',
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      registry: { ttlMs: 1500 },
      modules: [path.join(FIXTURE_MODULES, 'counter')],
    });
    admin = await natsConnect(nats.connectOptions('admin'));
    await vi.waitFor(async () => expect(await streamMessages()).toBe(0), { timeout: 10_000, interval: 100 });
  }, 30_000);

  afterAll(async () => {
    await admin?.close();
    await node?.stop();
    await nats?.stop();
  });

  it('anonymous - a connection without credentials is refused, so nothing it would publish reaches the stream', async () => {
    await expect(natsConnect({ servers: nats.url, reconnect: false, maxReconnectAttempts: 0 })).rejects.toMatchObject({
      name: 'AuthorizationError',
    });
    await expect(
      natsConnect({
        servers: nats.url,
        reconnect: false,
        authenticator: nkeyAuthenticator(new TextEncoder().encode('SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4')),
      }),
    ).rejects.toThrow();
  });

  it('events - client and ingest users cannot publish raw events to insights.events.test.hello', async () => {
    for (const role of ['client', 'ingest'] as const) {
      const nc = await as(role);
      await expect(jetstream(nc).publish('insights.events.test.hello', encode(hello), { timeout: 2000 })).rejects.toThrow();
      await nc.close();
    }
    expect(await streamMessages()).toBe(0);
  });

  it('registry - a client cannot write or delete registry entries; it can read them', async () => {
    const client = await as('client');
    const kv = await new Kvm(client).open('insights-registry');
    expect((await kv.get('node.guarded'))?.operation).toBe('PUT');
    await expect(kv.put('node.guarded', '{"forged":true}')).rejects.toThrow();
    await expect(kv.put('node.evil', '{"forged":true}')).rejects.toThrow();
    await expect(kv.delete('node.guarded')).rejects.toThrow();
    await client.close();
    const adminKv = await openRegistryBucket(admin);
    expect(JSON.parse((await adminKv.get('node.guarded'))!.string())).toMatchObject({ id: 'guarded' });
    expect(await adminKv.get('node.evil')).toBeNull();
  });

  it('registry - an ingest user cannot even read the registry, and the node user may not purge it', async () => {
    const ingest = await as('ingest');
    await expect(
      ingest.request('$JS.API.STREAM.INFO.KV_insights-registry', new Uint8Array(), { timeout: 2000 }),
    ).rejects.toThrow();
    await ingest.close();
    const nodeUser = await as('node');
    await expect(
      nodeUser.request('$JS.API.STREAM.PURGE.KV_insights-registry', new Uint8Array(), { timeout: 2000 }),
    ).rejects.toThrow();
    await nodeUser.close();
  });

  it('streams - the node user may not delete or purge the events, dead letters or audit trail, delete a record, make streams of its own, or manage the account', async () => {
    const nodeUser = await as('node');
    try {
      for (const subject of [
        '$JS.API.STREAM.DELETE.INSIGHTS_AUDIT',
        '$JS.API.STREAM.PURGE.INSIGHTS_EVENTS',
        '$JS.API.STREAM.MSG.DELETE.INSIGHTS_AUDIT',
        '$JS.API.STREAM.DELETE.INSIGHTS_DLQ',
        '$JS.API.ACCOUNT.PURGE.INSIGHTS',
        '$JS.API.STREAM.LEADER.STEPDOWN.INSIGHTS_EVENTS',
        // An allow list, not a deny list: whatever the node does not need is refused too.
        '$JS.API.STREAM.CREATE.HOARD',
        '$JS.API.STREAM.UPDATE.HOARD',
        '$JS.API.CONSUMER.CREATE.HOARD',
        '$JS.API.STREAM.SNAPSHOT.INSIGHTS_EVENTS',
        '$JS.API.SERVER.REMOVE',
        '$JS.API.META.LEADER.STEPDOWN',
      ])
        await expect(nodeUser.request(subject, new Uint8Array(), { timeout: 2000 }), subject).rejects.toThrow();
      // What it does need still answers.
      expect(JSON.parse(new TextDecoder().decode((await nodeUser.request('$JS.API.INFO', new Uint8Array())).data))).toMatchObject(
        {
          type: 'io.nats.jetstream.api.v1.account_info_response',
        },
      );
    } finally {
      await nodeUser.close();
    }
  });

  it('registry - a per-node user writes its own entries only', async () => {
    const { createMeshNatsAuth } = await import('@insights/registry');
    const auth = createMeshNatsAuth({ nodeIds: ['lms-1'] });
    const own = await startNatsServer({ auth });
    try {
      const seed = (role: string) => ({
        servers: own.url,
        authenticator: nkeyAuthenticator(new TextEncoder().encode(auth.seeds[role]!)),
      });
      const adminNc = await natsConnect(seed('admin'));
      await openRegistryBucket(adminNc); // created by the operator (or the first node)
      const lms = await natsConnect(seed('node:lms-1'));
      const kv = await new Kvm(lms).open('insights-registry');
      await kv.put('node.lms-1', '{}');
      await kv.put('alive.lms-1', '{}');
      await expect(kv.put('node.wiki-1', '{}')).rejects.toThrow();
      await expect(kv.delete('node.wiki-1')).rejects.toThrow();
      await lms.close();
      await adminNc.close();
    } finally {
      await own.stop();
    }
  });

  it('ingest - the ingest user sends raw events through the ingest subject, where the node normalises them', async () => {
    const platform = await as('ingest');
    const reply = await platform.request('insights.ingest', encode([hello]), { timeout: 10_000 });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ accepted: 1 });
    await platform.close();
    await vi.waitFor(async () => expect(await streamMessages()).toBe(1), { timeout: 10_000, interval: 100 });
  });
});

describe.skipIf(NO_NATS)('nats auth - an open NATS in production is reported once at start', () => {
  it('a node requiring capabilities and a client with trusted keys each warn once; a development node does not', async () => {
    const open = await startNatsServer({ auth: false });
    const keys = generateMeshKeys();
    const nodes: TestNode[] = [];
    try {
      const start = async (id: string, required: boolean) => {
        const n = await startTestNode({
          id,
          nats: open.url,
          defaultIsolation: 'inline',
          capabilities: { trustedKeys: [keys.publicKeyPem], required },
          ...(required ? { ingest: { tokens: ['ingest-token-for-tests-0001'] } } : {}),
          modules: [path.join(FIXTURE_MODULES, 'counter')],
        });
        nodes.push(n);
        return n;
      };
      const prod = await start('prod', true);
      const dev = await start('dev', false);
      const warnings = (n: TestNode) => n.logs.filter((r) => r.msg === OPEN_NATS_WARNING).length;
      await vi.waitFor(() => expect(prod.logs.some((r) => r.msg === 'connected to NATS')).toBe(true), { timeout: 10_000 });
      await vi.waitFor(() => expect(dev.logs.some((r) => r.msg === 'connected to NATS')).toBe(true), { timeout: 10_000 });
      expect([warnings(prod), warnings(dev)]).toEqual([1, 0]);
      const seen: string[] = [];
      const client = await connect({ nats: open.url, trustedKeys: [keys.publicKeyPem], log: (_l, m) => seen.push(m) });
      await client.close();
      expect(seen.filter((m) => m.startsWith(OPEN_NATS_WARNING))).toHaveLength(1);
    } finally {
      for (const n of nodes) await n.stop();
      await open.stop();
    }
  }, 30_000);
});
