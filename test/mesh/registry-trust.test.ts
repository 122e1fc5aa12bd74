import path from 'node:path';
import {
  connect,
  generateMeshKeys,
  InsightsError,
  mintCapability,
  NodeConnection,
  parsePolicy,
  type Mesh,
} from '@insights/client';
import { readFileSync } from 'node:fs';
import { delegateCapability } from '@insights/policy';
import { openRegistryBucket, signAdvertisement, type Advertisement } from '@insights/registry';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeNode, type FakeNode } from '../support/fake-node.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { certifiedIdentity } from '../support/node-identity.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

const MESH_ID = 'trust-test';
const allowAll = [{ policy: parsePolicy({ default: 'allow' }), context: {} }];
const METRICS_TOKEN = 'metrics-token-for-tests-0001';

/**
 * Issue 15's registry attacks, against real processes: whoever can write the registry bucket
 * (here the test's admin NATS user) forges, overwrites and deletes entries; a fake gRPC server
 * records everything a client sends it.
 */
describe.skipIf(NO_NATS)('registry trust - forged entries, stolen addresses, replayed capabilities', () => {
  const mesh = generateMeshKeys();
  let nats: NatsServer;
  let admin: NatsConnection;
  let kv: KV;
  let real: TestNode;
  let other: TestNode;
  let fake: FakeNode;
  let client: Mesh;
  const warnings: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const identities = new Map<string, { keyFile: string; certificateFile: string }>();

  const certifiedNode = async (id: string, modules: string[]) => {
    const ident = await certifiedIdentity(mesh, id, MESH_ID);
    cleanups.push(ident.remove);
    identities.set(id, ident.identity);
    const node = await startTestNode({
      id,
      nats: nats.as('node'),
      registry: { ttlMs: 1500 },
      defaultIsolation: 'inline',
      identity: ident.identity,
      // Its nested-call capability is held by it: valid only inside its own delegation.
      capabilities: { trustedKeys: [mesh.publicKeyPem], required: true, meshCapability: capability({ holder: id }) },
      ingest: { tokens: ['ingest-token-for-tests-0001'] },
      metrics: { tokens: [METRICS_TOKEN] },
      modules,
    });
    cleanups.push(() => node.stop());
    return node;
  };
  const capability = (o: { meshId?: string; audience?: string[]; holder?: string }) =>
    mintCapability({ privateKeyPem: mesh.privateKeyPem, layers: allowAll, ttlSeconds: 600, meshId: o.meshId ?? MESH_ID, ...o });

  beforeAll(async () => {
    nats = await startNatsServer();
    real = await certifiedNode('real', [path.join(SHIPPED_MODULES, 'examples')]);
    other = await certifiedNode('other', [path.join(FIXTURE_MODULES, 'caller')]);
    fake = await startFakeNode();
    admin = await natsConnect(nats.connectOptions('admin'));
    kv = await openRegistryBucket(admin);
    client = await connect({
      nats: nats.as('client'),
      signingKey: mesh.privateKeyPem,
      trustedKeys: [mesh.publicKeyPem],
      meshId: MESH_ID,
      log: (_l, m) => warnings.push(m),
    });
    await vi.waitFor(async () => expect((await client.describe()).nodes.map((n) => n.id).sort()).toEqual(['other', 'real']), {
      timeout: 10_000,
      interval: 100,
    });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await admin?.close();
    await fake?.close();
    for (const c of cleanups.reverse()) await c();
    await nats?.stop();
  });

  const adOf = async (id: string) =>
    JSON.parse((await kv.get(`node.${id}`))?.string() || 'null') as Record<string, unknown> | null;
  /** A heartbeat that keeps a forged entry alive for a minute. */
  const beat = JSON.stringify({ v: 1, ttlMs: 60_000, state: 'serving', seq: 1 });

  it('trust - a forged, an uncertified and an altered advertisement are ignored; the fake server receives nothing at all', async () => {
    // Node other follows the whole registry from its first nested call on, and refuses forgeries there too.
    expect(await client.query['caller.greet_via_mesh']!({ user: 'first' })).toBe('relayed: Hello, first!');
    const genuine = (await adOf('real'))!;
    const forged = { ...genuine, id: 'fake', grpcAddress: fake.address, certificate: undefined, signature: undefined };
    await kv.put('node.fake', JSON.stringify(forged));
    await kv.put('alive.fake', beat);
    // Signed by a key the operator never certified (a certificate from another mesh key).
    const rogue = generateMeshKeys();
    const rogueIdent = await certifiedIdentity(rogue, 'rogue', MESH_ID);
    cleanups.push(rogueIdent.remove);
    const rogueAd = signAdvertisement(
      { ...(genuine as unknown as Advertisement), id: 'rogue', grpcAddress: fake.address },
      {
        privateKeyPem: readFileSync(rogueIdent.identity.keyFile, 'utf8'),
        certificate: readFileSync(rogueIdent.identity.certificateFile, 'utf8').trim(),
      },
    );
    await kv.put('node.rogue', JSON.stringify(rogueAd));
    await kv.put('alive.rogue', beat);
    // The real node's own signed entry, pointed at the fake server: the signature no longer matches.
    await kv.put('node.real', JSON.stringify({ ...genuine, grpcAddress: fake.address }));
    await expect
      .poll(() => ['node.fake', 'node.rogue', 'node.real'].every((k) => warnings.some((w) => w.includes(k))), { timeout: 5000 })
      .toBe(true);
    // The real node put its entry back.
    await expect.poll(async () => (await adOf('real'))?.grpcAddress, { timeout: 5000 }).toBe(real.grpcAddress);
    for (let i = 0; i < 20; i++) expect(await client.query['examples.hello_user']!({ user: `u${i}` })).toBe(`Hello, u${i}!`);
    expect((await client.describe()).nodes.map((n) => n.id).sort()).toEqual(['other', 'real']);
    expect(fake.capabilities()).toEqual([]);
    expect(fake.received).toEqual([]);
    // Nodes count what they refused, by reason: the three forgeries, and an entry that is no advertisement.
    await kv.put('node.junk', '[]');
    const scrape = async () =>
      (await fetch(`http://${other.httpAddress}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    await expect
      .poll(scrape, { timeout: 10_000 })
      .toMatch(/insights_registry_entries_refused_total\{reason="signature",node="other"\} ([3-9]|\d\d+)\n/);
    await expect
      .poll(scrape, { timeout: 10_000 })
      .toMatch(/insights_registry_entries_refused_total\{reason="schema",node="other"\} [1-9]/);
    await kv.delete('node.junk');
    await kv.delete('node.fake');
    await kv.delete('node.rogue');
  });

  it('trust - a deleted registry entry is restored at once, not at the next refresh', async () => {
    const deletedAt = Date.now();
    await kv.delete('node.real');
    await kv.delete('alive.real');
    // Not the 10-minute refresh: the node watches its own keys. (Seen: ~80 ms on a loaded machine.)
    await expect.poll(async () => (await kv.get('node.real'))?.operation, { timeout: 3000, interval: 10 }).toBe('PUT');
    await expect.poll(async () => (await kv.get('alive.real'))?.operation, { timeout: 3000, interval: 10 }).toBe('PUT');
    console.info(`registry entry restored after ${Date.now() - deletedAt} ms`);
    expect((await adOf('real'))?.grpcAddress).toBe(real.grpcAddress);
    expect(await client.query['examples.hello_user']!({ user: 'after' })).toBe('Hello, after!');
    expect(real.logs.some((r) => r.msg.includes('registry entry changed by someone else'))).toBe(true);
  });

  it('trust - a forged heartbeat cannot flip a node to draining, and a recorded one replayed is refused', async () => {
    const genuine = (await kv.get('alive.real'))!.string();
    expect(JSON.parse(genuine)).toMatchObject({ sig: expect.any(String), at: expect.any(Number) });
    const forged = JSON.stringify({ v: 1, ttlMs: 60_000, state: 'draining', seq: 999 });
    // The bucket keeps one value per key: a write the node's restore replaces before a watcher has
    // read it is never delivered to that watcher at all. So each is written until the client has
    // read (and refused) one; the node must never be seen draining meanwhile.
    const refusedOnce = async (value: string, reason: RegExp) => {
      await expect
        .poll(
          async () => {
            await kv.put('alive.real', value);
            await new Promise((r) => setTimeout(r, 250));
            return warnings.some((w) => w.includes('alive.real') && reason.test(w));
          },
          { timeout: 15_000, interval: 0 },
        )
        .toBe(true);
    };
    await refusedOnce(forged, /unsigned heartbeat/);
    await refusedOnce(genuine, /not newer/);
    expect((await client.describe()).nodes.find((n) => n.id === 'real')?.state).toBe('serving');
    // Still serving: a draining node would get no calls, and it is the only one with examples.
    for (let i = 0; i < 5; i++) expect(await client.query['examples.hello_user']!({ user: `b${i}` })).toBe(`Hello, b${i}!`);
  });

  it('capability - bound to node real, refused by node other; bound to another mesh, refused by both', async () => {
    const forReal = capability({ audience: ['real'] });
    const call = (capability: string) => ({
      kind: 'query' as const,
      name: 'hello_user',
      args: { user: 'x' },
      deadline: Date.now() + 5000,
      capability,
    });
    const a = new NodeConnection(real.grpcAddress);
    const b = new NodeConnection(other.grpcAddress);
    try {
      expect(await a.callUnary(call(forReal))).toMatchObject({ type: 'json', value: 'Hello, x!' });
      // node other does not serve hello_user, so ask it for its own analytic: refused before any lookup.
      await expect(b.callUnary({ ...call(forReal), name: 'greet_via_mesh' })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/for node\(s\) real, not node other/),
      });
      await expect(a.callUnary(call(capability({ meshId: 'another-mesh' })))).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/mesh another-mesh/),
      });
    } finally {
      a.close();
      b.close();
    }
  });

  it('nested calls - a certified node calls its peer with a delegation bound to it; the capability alone, or the delegation elsewhere, is refused', async () => {
    expect(await client.query['caller.greet_via_mesh']!({ user: 'n' })).toBe('relayed: Hello, n!');
    // What an attacker could capture: the node's capability, and its delegation to node real.
    const held = capability({ holder: 'other' });
    const files = identities.get('other')!;
    const toReal = delegateCapability({
      capability: held,
      nodePrivateKeyPem: readFileSync(files.keyFile, 'utf8'),
      certificate: readFileSync(files.certificateFile, 'utf8').trim(),
      targetNodeId: 'real',
    });
    const call = (capability: string, name = 'hello_user') => ({
      kind: 'query' as const,
      name,
      args: { user: 'x' },
      deadline: Date.now() + 5000,
      capability,
    });
    const a = new NodeConnection(real.grpcAddress);
    const b = new NodeConnection(other.grpcAddress);
    try {
      expect(await a.callUnary(call(toReal))).toMatchObject({ type: 'json', value: 'Hello, x!' });
      await expect(a.callUnary(call(held))).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/valid only inside that node's delegation/),
      });
      await expect(b.callUnary(call(toReal, 'greet_via_mesh'))).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/is for node real, not other/),
      });
    } finally {
      a.close();
      b.close();
    }
  });

  it('prove - a server at a given address that cannot sign with a certified key gets no capability and no call', async () => {
    const genuineCert = String((await adOf('real'))!.certificate);
    const impostors = [
      await startFakeNode(), // does not answer Prove
      await startFakeNode(() => ({ nodeId: 'real', certificate: genuineCert, signature: 'AAAA' })), // a copied certificate
    ];
    try {
      for (const impostor of impostors) {
        const direct = await connect({
          nodes: [impostor.address],
          signingKey: mesh.privateKeyPem,
          trustedKeys: [mesh.publicKeyPem],
          meshId: MESH_ID,
          log: () => {},
        });
        try {
          await expect(direct.query['examples.hello_user']!({ user: 'x' }, { timeoutMs: 2000 })).rejects.toThrow();
        } finally {
          await direct.close();
        }
        // An import stream (insights events import) waits for the proof too: no stream, no token.
        const conn = new NodeConnection(impostor.address);
        conn.requireProof(() => Promise.reject(new InsightsError('UNAVAILABLE', 'node did not prove its identity')));
        try {
          await expect(conn.ingestStream('ingest-token-for-tests-0001')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
        } finally {
          conn.close();
        }
        expect(impostor.received.length).toBeGreaterThan(0);
        expect(impostor.received.every((r) => r.method === 'Prove')).toBe(true);
        expect(impostor.capabilities()).toEqual([]);
      }
      // The real node, given by address, proves itself and serves.
      const direct = await connect({
        nodes: [real.grpcAddress],
        signingKey: mesh.privateKeyPem,
        trustedKeys: [mesh.publicKeyPem],
        meshId: MESH_ID,
      });
      expect(await direct.query['examples.hello_user']!({ user: 'd' })).toBe('Hello, d!');
      await direct.close();
    } finally {
      for (const i of impostors) await i.close();
    }
  });
});
