import { connect, generateMeshKeys, mintCapability, parsePolicy, type Mesh } from '@insights/client';
import { delegateCapability } from '@insights/policy';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { certifiedIdentity } from '../support/node-identity.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

const MESH_ID = 'mesh-read-test';
const ROUTE = '$module-data.read';

/**
 * Issue 18's reads of another module's data through the mesh: the reader (a process sandbox) on
 * one node, the owner on another. The owner's node serves only what ITS operator lists in
 * modules[].readBy, only to certified mesh nodes, and never a write.
 */
describe.skipIf(NO_NATS)('module data through the mesh - a module reads another node’s module, read-only', () => {
  const keys = generateMeshKeys();
  const capability = (holder?: string) =>
    mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
      ttlSeconds: 600,
      meshId: MESH_ID,
      ...(holder === undefined ? {} : { holder }),
    });
  let nats: NatsServer;
  let client: Mesh;
  const cleanups: (() => Promise<void>)[] = [];
  const identities = new Map<string, { keyFile: string; certificateFile: string }>();
  const q = (name: string, args: Record<string, unknown> = {}) => client.query[name]!(args);

  const certifiedNode = async (id: string, modules: NonNullable<Parameters<typeof startTestNode>[0]['modules']>) => {
    const ident = await certifiedIdentity(keys, id, MESH_ID);
    cleanups.push(ident.remove);
    identities.set(id, ident.identity);
    const node: TestNode = await startTestNode({
      id,
      nats: nats.as('node'),
      identity: ident.identity,
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true, meshCapability: capability(id) },
      ingest: { tokens: ['ingest-token-for-tests-0001'] },
      modules,
    });
    cleanups.push(() => node.stop());
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
    client = await connect({
      nats: nats.as('client'),
      capability: capability(),
      trustedKeys: [keys.publicKeyPem],
      meshId: MESH_ID,
    });
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
