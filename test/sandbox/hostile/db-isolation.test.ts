import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../support/test-node.ts';
import { hostile, query, whileProbingGood } from '../support.ts';

/**
 * The node owns every database handle (issues 13 and 16): a process sandbox reaches its own
 * database only through operations the node runs, on the database of the module's checked name.
 */
describe('sandbox hostile - databases through the node', () => {
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    node = await startTestNode({ modules: [hostile('good'), hostile('db-snoop')] });
    mesh = await connect({ nodes: [node.grpcAddress] });
  }, 120_000);
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  it('db - a process sandbox writes, reads, streams a cursor in batches and gets coded db errors, all through the node', async () => {
    expect(await query(node, 'db-snoop.exercise', {}, 60_000)).toEqual({
      count: 2500,
      all: 1250,
      firstTen: 10,
      evens: [{ n: 1250 }],
      duplicate: 'DB_DUPLICATE_KEY',
      collections: ['numbers'],
    });
  });

  it("db - operations that name another module's database are refused; the neighbour's data stays its own", async () => {
    expect(await query(node, 'good.remember', { key: 'secret', value: 's3cret' })).toBe('s3cret');
    const r = (await whileProbingGood(mesh, 'db naming', () => query(node, 'db-snoop.steal'))) as Record<
      string,
      { code: string; message: string; value?: unknown }
    >;
    expect(r.namedDb!.code).toBe('INVALID_ARGUMENT');
    expect(r.namedDb!.message).toMatch(/unexpected field "db": a module reaches only its own database/);
    expect(r.namedDatabase!.message).toMatch(/unexpected field "database"/);
    expect(r.oddMethod!.message).toMatch(/unknown collection method "constructor"/);
    // A collection name is checked as one, inside its own database.
    expect(r.climbingCollection!.code).toBe('DB_INVALID_NAME');
    expect(r.ownKv).toBeNull();
    expect(await query(node, 'good.recall', { key: 'secret' })).toBe('s3cret');
  });
});
