import { connect, type Mesh } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

// The prototype's "read replicas of other module's databases": a module reads another's data
// only where the operator allows it, and never writes it.
describe.each(['inline', 'process'] as const)('a module reads another module’s data, read-only (%s)', (isolation) => {
  let node: TestNode;
  let mesh: Mesh;
  const q = (name: string, args: Record<string, unknown>) => mesh.query[name]!(args);
  beforeAll(async () => {
    node = await startTestNode({
      defaultIsolation: isolation,
      modules: [
        path.join(FIXTURE_MODULES, 'data-owner'),
        { path: path.join(FIXTURE_MODULES, 'data-reader'), reads: [{ module: 'data-owner', collections: ['segments'] }] },
        path.join(FIXTURE_MODULES, 'sql-reader'),
      ],
    });
    mesh = await connect({ nodes: [node.grpcAddress] });
    expect(await q('data-owner.seed', { n: 30 })).toBe(30);
  }, 120_000);
  afterAll(async () => {
    await mesh?.close();
    await node?.stop();
  });

  it('reads and aggregates the owner’s collection', async () => {
    expect(await q('data-reader.watched_per_video', { owner: 'data-owner' })).toEqual([
      { _id: 0, total: 135, n: 10 },
      { _id: 1, total: 145, n: 10 },
      { _id: 2, total: 155, n: 10 },
    ]);
    expect(await q('data-reader.all_segments', { owner: 'data-owner' })).toHaveLength(30);
  });

  it.each(['insert', 'update', 'delete', 'drop', 'out'])(
    'refuses a write (%s) with PERMISSION_DENIED naming both modules',
    async (how) => {
      await expect(q('data-reader.write', { owner: 'data-owner', how })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringContaining('"data-reader" may only read module "data-owner"'),
      });
      expect(await q('data-owner.count', {})).toBe(30);
    },
  );

  it('reads only the collections both the module declares and the config allows; others are refused, also through $lookup, and not listed', async () => {
    const ungranted = (name: string) => ({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining(`may read only "segments" of module "data-owner", not "${name}"`),
    });
    // secrets: never declared; notes: declared by the module, not allowed by the operator.
    for (const collection of ['secrets', 'notes'])
      await expect(q('data-reader.read_collection', { owner: 'data-owner', collection })).rejects.toMatchObject(
        ungranted(collection),
      );
    await expect(q('data-reader.lookup', { owner: 'data-owner', from: 'secrets' })).rejects.toMatchObject(ungranted('secrets'));
    expect(await q('data-reader.lookup', { owner: 'data-owner', from: 'segments' })).toHaveLength(1);
    expect(await q('data-reader.collections', { owner: 'data-owner' })).toEqual(['segments']);
  });

  it('refuses a module the config does not allow, and one that is not on the node', async () => {
    await expect(q('data-reader.all_segments', { owner: 'sql-reader' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('modules[].reads'),
    });
  });
});
