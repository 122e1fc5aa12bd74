import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Mesh } from '@insights/client';
import { InsightsError } from '@insights/sdk';
import { createDbProvider, type DbProvider } from '@insights/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readThroughMesh } from './mesh-read-db.ts';
import { moduleDataRoute } from './module-data-route.ts';
import { RemoteReadGrants } from './read-grants.ts';

/** The reader's Db against the owner's route, with the wire in between reduced to JSON text. */
describe('mesh read db - the reader side of reads through the mesh', () => {
  let dir: string;
  let db: DbProvider;
  const grants = new RemoteReadGrants();
  grants.allow('video', ['dash']);
  const sent: unknown[] = [];

  const mesh = {
    describe: async () => ({ nodes: [{ id: 'owner', modules: [{ name: 'video', state: 'ready' }] }], analytics: [] }),
    withCapability: () => mesh,
    nodeRoute: async (_module: string, route: string, args: Record<string, unknown>) => {
      const request: unknown = JSON.parse(JSON.stringify(args));
      sent.push(request);
      const route_ = moduleDataRoute({ hosts: new Set(['video']), db, grants, maxResultBytes: () => 1_000_000 });
      const outcome = await route_({
        kind: 'query',
        name: route,
        args: { from: 'reader-node', request },
        deadline: Date.now() + 5000,
      });
      return JSON.parse(JSON.stringify(outcome.type === 'json' ? outcome.value : null)) as unknown;
    },
  } as unknown as Mesh;
  const open = (collections = ['segments']) =>
    readThroughMesh({
      withMesh: (_deadline, fn) => fn(mesh),
      reader: 'dash',
      owner: 'video',
      collections: new Set(collections),
      capability: 'cap',
      timeoutMs: 5000,
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-mesh-read-'));
    db = createDbProvider({ kind: 'embedded', dir });
    await (
      await db.forModule('video')
    )
      .collection('segments')
      .insertMany(Array.from({ length: 5 }, (_, i) => ({ _id: `s${i}`, n: i, at: new Date(Date.UTC(2026, 0, 1 + i)) })));
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads with cursor modifiers and filters on Dates; Dates come back as Dates', async () => {
    const c = (await open()).collection('segments');
    const docs = await c
      .find({ at: { $gte: new Date(Date.UTC(2026, 0, 2)) } })
      .sort({ n: -1 })
      .limit(2)
      .project({ n: 1, at: 1 })
      .toArray();
    expect(docs).toEqual([
      { _id: 's4', n: 4, at: new Date(Date.UTC(2026, 0, 5)) },
      { _id: 's3', n: 3, at: new Date(Date.UTC(2026, 0, 4)) },
    ]);
    expect(await c.countDocuments()).toBe(5);
    expect(await c.findOne({ n: 2 })).toMatchObject({ _id: 's2', at: new Date(Date.UTC(2026, 0, 3)) });
    const seen: number[] = [];
    for await (const d of c.aggregate([{ $match: { n: { $lt: 2 } } }, { $sort: { n: 1 } }])) seen.push(d.n as number);
    expect(seen).toEqual([0, 1]);
  });

  it('refuses on the reader’s side first: writes and collections its node does not grant never leave it', async () => {
    const before = sent.length;
    const read = await open();
    await expect(read.collection('segments').insertOne({ _id: 'x' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(read.collection('secrets').countDocuments({})).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(() => read.collection('secrets').find({})).toThrow(/not "secrets"/);
    expect(sent.length).toBe(before);
  });

  it('fails NOT_FOUND when no node hosts the owner, or the node has no mesh', async () => {
    const empty = { describe: async () => ({ nodes: [], analytics: [] }) } as unknown as Mesh;
    const o = { reader: 'dash', owner: 'video', collections: new Set<string>(), capability: undefined, timeoutMs: 1000 };
    await expect(readThroughMesh({ ...o, withMesh: (_d, fn) => fn(empty) })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('nor on any node of the mesh'),
    });
    await expect(readThroughMesh({ ...o, withMesh: () => undefined })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('nats is not configured'),
    });
  });

  it('a read ends with the deadline of the call it is made for, not the node default, and says which read it was', async () => {
    // An owner's node that never answers: the client fails the call at the deadline it was given.
    const given: number[] = [];
    const hung = {
      describe: mesh.describe,
      withCapability: () => hung,
      nodeRoute: (_m: string, _r: string, _a: unknown, options: { deadline: number }) => {
        given.push(options.deadline);
        return new Promise((_resolve, reject) =>
          setTimeout(() => reject(new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded')), options.deadline - Date.now()),
        );
      },
    } as unknown as Mesh;
    const deadline = Date.now() + 200;
    const read = await readThroughMesh({
      withMesh: (_d, fn) => fn(hung),
      reader: 'dash',
      owner: 'video',
      collections: new Set(['segments']),
      capability: 'cap',
      timeoutMs: 60_000,
      deadline,
    });
    await expect(read.collection('segments').find({}).toArray()).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message:
        'reading module "video"\'s segments (find) for module "dash" through the mesh did not finish within the deadline of the call it was made for',
    });
    expect(given).toEqual([deadline]);
    // Once the call's deadline has passed, a read is refused before it leaves the node.
    await expect(read.collection('segments').countDocuments({})).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message: expect.stringContaining('segments (countDocuments)'),
    });
    expect(given).toHaveLength(1);
  });
});
