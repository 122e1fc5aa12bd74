import { connect, generateMeshKeys, mintCapability, parsePolicy, type Mesh } from '@insights/client';
import { ferretDbBinary, startFerretDb, type FerretDb } from '@insights/db/ferretdb';
import { delegateCapability } from '@insights/policy';
import { readAuditRecords } from '@insights/registry';
import { connect as natsConnect } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { certifiedIdentity } from '../support/node-identity.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

const MESH_ID = 'mesh-read-test';
const ROUTE = '$module-data.read';

type NodeSettings = Parameters<typeof startTestNode>[0];

const keys = generateMeshKeys();
const capability = (holder?: string) =>
  mintCapability({
    privateKeyPem: keys.privateKeyPem,
    layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
    ttlSeconds: 600,
    meshId: MESH_ID,
    ...(holder === undefined ? {} : { holder }),
  });

/** A node the mesh certified (its nested calls and reads go delegated under its key); `cleanups` stop it. */
async function startCertifiedNode(
  nats: NatsServer,
  id: string,
  modules: NonNullable<NodeSettings['modules']>,
  cleanups: (() => Promise<void>)[],
  settings: Partial<NodeSettings> = {},
): Promise<{ node: TestNode; identity: { keyFile: string; certificateFile: string } }> {
  const ident = await certifiedIdentity(keys, id, MESH_ID);
  cleanups.push(ident.remove);
  const node: TestNode = await startTestNode({
    id,
    nats: nats.as('node'),
    identity: ident.identity,
    capabilities: { trustedKeys: [keys.publicKeyPem], required: true, meshCapability: capability(id) },
    ingest: { tokens: ['ingest-token-for-tests-0001'] },
    modules,
    ...settings,
  });
  cleanups.push(() => node.stop());
  return { node, identity: ident.identity };
}

/** A client of the mesh on NATS, trusting only certified nodes. */
const meshClient = (nats: NatsServer) =>
  connect({ nats: nats.as('client'), capability: capability(), trustedKeys: [keys.publicKeyPem], meshId: MESH_ID });

/**
 * Issue 18's reads of another module's data through the mesh: the reader (a process sandbox) on
 * one node, the owner on another. The owner's node serves only what ITS operator lists in
 * modules[].readBy, only to certified mesh nodes, and never a write.
 */
describe.skipIf(NO_NATS)('module data through the mesh - a module reads another node’s module, read-only', () => {
  let nats: NatsServer;
  let client: Mesh;
  const cleanups: (() => Promise<void>)[] = [];
  const identities = new Map<string, { keyFile: string; certificateFile: string }>();
  const q = (name: string, args: Record<string, unknown> = {}) => client.query[name]!(args);

  const certifiedNode = async (id: string, modules: NonNullable<NodeSettings['modules']>) => {
    const { node, identity } = await startCertifiedNode(nats, id, modules, cleanups);
    identities.set(id, identity);
    return node;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    await Promise.all([
      // The owner's operator lets data-reader read segments, nothing else, and no other module.
      certifiedNode('owner-node', [
        {
          path: path.join(FIXTURE_MODULES, 'data-owner'),
          isolation: 'inline',
          readBy: [{ module: 'data-reader', collections: ['segments'] }],
        },
      ]),
      // The reader's operator allows all of data-owner (segments and notes, as declared) to both modules.
      certifiedNode('reader-node', [
        { path: path.join(FIXTURE_MODULES, 'data-reader'), reads: ['data-owner'] },
        { path: path.join(FIXTURE_MODULES, 'data-peeker'), isolation: 'inline', reads: ['data-owner'] },
      ]),
    ]);
    client = await meshClient(nats);
    await vi.waitFor(
      async () => expect((await client.describe()).nodes.map((n) => n.id).sort()).toEqual(['owner-node', 'reader-node']),
      { timeout: 20_000, interval: 100 },
    );
    expect(await q('data-owner.seed', { n: 30 })).toBe(30);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    for (const c of cleanups.reverse()) await c();
    await nats?.stop();
  });

  it('a granted read returns the owner node’s data (find and aggregate)', async () => {
    // The reader's node learns of the owner's node from the registry shortly after both start.
    await vi.waitFor(async () => expect(await q('data-reader.all_segments', { owner: 'data-owner' })).toHaveLength(30), {
      timeout: 20_000,
      interval: 200,
    });
    expect(await q('data-reader.watched_per_video', { owner: 'data-owner' })).toEqual([
      { _id: 0, total: 135, n: 10 },
      { _id: 1, total: 145, n: 10 },
      { _id: 2, total: 155, n: 10 },
    ]);
    expect(await q('data-reader.collections', { owner: 'data-owner' })).toEqual(['segments']);
  });

  it('an ungranted collection is refused, by the owner’s node when only the reader’s node allows it', async () => {
    // notes: declared by the reader and allowed by its node, not by the owner's node.
    await expect(q('data-reader.read_collection', { owner: 'data-owner', collection: 'notes' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringMatching(/may read only "segments" of module "data-owner", not "notes".*modules\[\]\.readBy/),
    });
    // secrets: never declared, refused on the reader's node already.
    await expect(q('data-reader.read_collection', { owner: 'data-owner', collection: 'secrets' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('not "secrets"'),
    });
    await expect(q('data-reader.lookup', { owner: 'data-owner', from: 'notes' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('not "notes"'),
    });
  });

  it('a reader the owner’s node does not list is refused, naming it', async () => {
    await expect(q('data-peeker.segments')).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining(
        'module "data-peeker" (node "reader-node") may not read module "data-owner"\'s data through the mesh',
      ),
    });
  });

  it('writes are refused on the reader’s node, and by the owner’s node even from a certified node', async () => {
    await expect(q('data-reader.write', { owner: 'data-owner', how: 'insert' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('"data-reader" may only read module "data-owner"'),
    });
    // What a compromised reader node could send: the route itself, under its own node key.
    const ident = identities.get('reader-node')!;
    const asNode = await connect({
      nats: nats.as('client'),
      capability: capability('reader-node'),
      trustedKeys: [keys.publicKeyPem],
      meshId: MESH_ID,
      delegate: (cap, target) =>
        delegateCapability({
          capability: cap,
          nodePrivateKeyPem: readFileSync(ident.keyFile, 'utf8'),
          certificate: readFileSync(ident.certificateFile, 'utf8').trim(),
          targetNodeId: target,
        }),
    });
    cleanups.push(() => asNode.close());
    const request = (method: string, args: unknown[], collection = 'segments') => ({
      owner: 'data-owner',
      reader: 'data-reader',
      collections: ['segments'],
      method,
      collection,
      args,
    });
    await vi.waitFor(async () => expect(await asNode.nodeRoute('data-owner', ROUTE, request('countDocuments', [{}]))).toBe(30), {
      timeout: 20_000,
      interval: 200,
    });
    for (const [method, args] of [
      ['insertOne', [{ _id: 'forged' }]],
      ['deleteMany', [{}]],
      ['updateMany', [{}, { $set: { watched: 0 } }]],
    ] as const)
      await expect(asNode.nodeRoute('data-owner', ROUTE, request(method, [...args]))).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringContaining(`segments.${method} refused`),
      });
    await expect(
      asNode.nodeRoute('data-owner', ROUTE, request('aggregate', [[{ $match: {} }, { $out: 'stolen' }]])),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('$out') });
    // A plain client (no node key) reaches no node route, whatever its capability allows.
    await expect(client.nodeRoute('data-owner', ROUTE, request('countDocuments', [{}]))).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('serves only mesh nodes'),
    });
    // The owner's data is unchanged.
    expect(await q('data-owner.count')).toBe(30);
    expect(await q('data-reader.all_segments', { owner: 'data-owner' })).toEqual(
      Array.from({ length: 30 }, (_, i) => ({ _id: `s${i}`, video: i % 3, watched: i })),
    );
  });
});

/** What the read would get without the caller's deadline: the reader node's default timeout. */
const READER_DEFAULT_MS = 60_000;

/**
 * Issue 18: a read through the mesh is part of the call that makes it. The owner's database is
 * stopped (SIGSTOP) mid-test, so the owner's node hangs on the read: the read must end with the
 * calling query's short deadline, on both nodes, not with the reader node's one-minute default.
 */
describe.skipIf(NO_NATS || ferretDbBinary() === undefined)(
  'module data through the mesh - a read ends with the deadline of the call that makes it',
  () => {
    let nats: NatsServer;
    let ferret: FerretDb;
    let client: Mesh;
    const cleanups: (() => Promise<void>)[] = [];
    const allSegments = (options?: { timeoutMs: number }) =>
      client.query['data-reader.all_segments']!({ owner: 'data-owner' }, options);

    beforeAll(async () => {
      [nats, ferret] = await Promise.all([startNatsServer(), startFerretDb()]);
      await Promise.all([
        startCertifiedNode(
          nats,
          'stalled-owner-node',
          [
            {
              path: path.join(FIXTURE_MODULES, 'data-owner'),
              isolation: 'inline',
              readBy: [{ module: 'data-reader', collections: ['segments'] }],
            },
          ],
          cleanups,
          { db: { kind: 'mongodb', url: ferret.url, dbPrefix: 'stalled_' } },
        ),
        // A process sandbox: its database operations cross the channel naming the call they serve.
        startCertifiedNode(
          nats,
          'patient-reader-node',
          [{ path: path.join(FIXTURE_MODULES, 'data-reader'), reads: ['data-owner'] }],
          cleanups,
          { defaultTimeoutMs: READER_DEFAULT_MS },
        ),
      ]);
      client = await meshClient(nats);
      await vi.waitFor(async () => expect((await client.describe()).nodes).toHaveLength(2), { timeout: 20_000, interval: 100 });
      expect(await client.query['data-owner.seed']!({ n: 3 })).toBe(3);
      await vi.waitFor(async () => expect(await allSegments()).toHaveLength(3), { timeout: 20_000, interval: 200 });
    }, 120_000);

    afterAll(async () => {
      ferret?.process.kill('SIGCONT');
      await client?.close();
      for (const c of cleanups.reverse()) await c();
      await ferret?.stop();
      await nats?.stop();
    });

    it('a query called with a short deadline: its read through the mesh ends then, on the owner’s node too, not at the node default', async () => {
      ferret.process.kill('SIGSTOP');
      const nc = await natsConnect(nats.connectOptions('operator'));
      try {
        const started = Date.now();
        await expect(allSegments({ timeoutMs: 1500 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
        expect(Date.now() - started).toBeLessThan(READER_DEFAULT_MS / 2);
        // The owner's node was asked with the caller's remaining time, so the read ended there at
        // that deadline too (DEADLINE_EXCEEDED, or CANCELLED when the reader's cancel at the same
        // moment arrives first); with the node default it would hold the read for a minute.
        await vi.waitFor(
          async () => {
            const reads = await readAuditRecords(nc, { analytic: /^\$module-data\.read$/ });
            const ended = reads?.find((r) => r.node === 'stalled-owner-node' && r.outcome !== 'OK');
            expect(ended?.outcome).toMatch(/^(DEADLINE_EXCEEDED|CANCELLED)$/);
            expect(ended!.durationMs).toBeLessThan(READER_DEFAULT_MS / 2);
          },
          { timeout: 20_000, interval: 250 },
        );
      } finally {
        ferret.process.kill('SIGCONT');
        await nc.close();
      }
      // The database back, the same read is served again.
      await vi.waitFor(async () => expect(await allSegments()).toHaveLength(3), { timeout: 20_000, interval: 200 });
    }, 60_000);
  },
);
