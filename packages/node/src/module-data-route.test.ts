import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDbProvider, type DbProvider } from '@insights/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleDataRoute } from './module-data-route.ts';
import { RemoteReadGrants } from './read-grants.ts';

describe('module data route - the owner node serves reads of its modules, read-only and bounded', () => {
  let dir: string;
  let db: DbProvider;
  const grants = new RemoteReadGrants();
  grants.allow('video', [{ module: 'dash', collections: ['segments'] }]);
  let limit = 1_000_000;
  const route = () =>
    moduleDataRoute({
      hosts: new Set(['video']),
      db: { forModule: (m) => db.forModule(m) },
      grants,
      maxResultBytes: () => limit,
    });
  const read = (request: Record<string, unknown>, deadline = Date.now() + 10_000) =>
    route()({
      kind: 'query',
      name: '$module-data.read',
      args: {
        from: 'n1',
        request: { owner: 'video', reader: 'dash', collections: ['segments', 'secrets'], collection: 'segments', ...request },
      },
      deadline,
    }).then((o) => (o.type === 'json' ? o.value : o));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-module-data-'));
    db = createDbProvider({ kind: 'embedded', dir });
    const video = await db.forModule('video');
    await video
      .collection('segments')
      .insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: `s${i}`, n: i, at: new Date(Date.UTC(2026, 0, 1 + i)) })));
    await video.collection('secrets').insertOne({ _id: 'x' });
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers find, aggregate and counts of a granted collection; Dates travel in their wrapper', async () => {
    const docs = (await read({ method: 'find', args: [{ n: { $lt: 2 } }, { sort: { n: 1 } }] })) as unknown[];
    expect(docs).toEqual([
      { _id: 's0', n: 0, at: { $date: '2026-01-01T00:00:00.000Z' } },
      { _id: 's1', n: 1, at: { $date: '2026-01-02T00:00:00.000Z' } },
    ]);
    expect(await read({ method: 'aggregate', args: [[{ $group: { _id: null, total: { $sum: '$n' } } }]] })).toEqual([
      { _id: null, total: 190 },
    ]);
    expect(await read({ method: 'countDocuments', args: [{ at: { $gte: { $date: '2026-01-11T00:00:00.000Z' } } }] })).toBe(10);
    expect(await read({ method: 'listCollections', collection: undefined, args: [] })).toEqual(['segments']);
  });

  it('refuses writes, ungranted collections and $out by name', async () => {
    await expect(read({ method: 'insertOne', args: [{ _id: 'forged' }] })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('segments.insertOne refused'),
    });
    await expect(read({ method: 'dropCollection', args: [] })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(read({ method: 'find', collection: 'secrets', args: [] })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('not "secrets" (declare it in reads and allow it in modules[].readBy of "video"'),
    });
    await expect(read({ method: 'aggregate', args: [[{ $out: 'stolen' }]] })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('$out'),
    });
    expect(await read({ method: 'estimatedDocumentCount', args: [] })).toBe(20);
  });

  it('refuses a result past the owner’s maxResultBytes, and a read past its deadline', async () => {
    limit = 200;
    try {
      await expect(read({ method: 'find', args: [] })).rejects.toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining('more than 200 bytes (limits.maxResultBytes of "video")'),
      });
      expect(await read({ method: 'find', args: [{}, { limit: 1, projection: { n: 1 } }] })).toEqual([{ _id: 's0', n: 0 }]);
    } finally {
      limit = 1_000_000;
    }
    await expect(read({ method: 'find', args: [] }, Date.now() - 1)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('refuses a malformed request naming the field, and a module not on the node', async () => {
    await expect(read({ method: 'find', args: 'all' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'args' });
    await expect(read({ method: 'find', args: [], database: 'admin' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      parameter: 'database',
    });
    await expect(read({ method: 'no such', args: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'method' });
    await expect(read({ owner: 'grades', args: [], method: 'find' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
