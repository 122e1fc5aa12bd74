import path from 'node:path';
import { createDbProvider } from '@insights/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../sandbox/support.ts';
import { NO_MONGODB, startSharedMongo, type SharedMongo } from '../support/mongodb.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { REPO_ROOT } from '../support/tmp.ts';

const GOOD = path.join(REPO_ROOT, 'test', 'fixtures', 'hostile', 'good');

/** Two replicas of a module in process sandboxes, one MongoDB (FerretDB): files belong to the module, not the node. */
describe.skipIf(NO_MONGODB)('replicas sharing MongoDB: files and memoized results of sandboxed modules', () => {
  let mongo: SharedMongo;
  let a: TestNode;
  let b: TestNode;
  beforeAll(async () => {
    mongo = await startSharedMongo();
    // Replicas sign file URLs with one secret (deploy/SECURITY.md), as they share one database.
    const replica = (id: string) =>
      startTestNode({
        id,
        db: mongo.nodeDb,
        fileUrlSecret: 'one-secret-for-every-replica',
        modules: [{ path: GOOD, isolation: 'process' }],
      });
    [a, b] = await Promise.all([replica('files-a'), replica('files-b')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await mongo?.stop();
  });

  /** The same signed path on another replica's HTTP server. */
  const on = (node: TestNode, url: string) => url.replace(/^http:\/\/[^/]+/, `http://${node.httpAddress}`);

  it('files - a view on A stores a file; its signed URL works on B, and B reads it through its own sandbox', async () => {
    const url = (await query(a, 'good.write_file', { name: 'plots/a.txt', text: 'from A' })) as string;
    expect(url.startsWith(`http://${a.httpAddress}/files/good/plots/a.txt?`)).toBe(true);
    const fromB = await fetch(on(b, url));
    expect(fromB.status).toBe(200);
    expect(await fromB.text()).toBe('from A');
    expect(await query(b, 'good.read_file', { name: 'plots/a.txt' })).toBe('from A');
    // A tampered link is refused on B as on A.
    expect((await fetch(on(b, url.replace('a.txt', 'b.txt')))).status).toBe(403);
  });

  it('files - an expiry set on A holds on B, and one sweep (on either) deletes the file for both', async () => {
    const url = (await query(a, 'good.write_file', { name: 'old.txt', text: 'x', expireIn: -1 })) as string;
    expect((await fetch(on(b, url))).status).toBe(404);
    const swept = [...(await b.dispatcher.host('good')!.sweepFiles()), ...(await a.dispatcher.host('good')!.sweepFiles())];
    expect(swept).toEqual(['old.txt']);
  });

  it('memoize - a result computed in A’s sandbox is what B’s sandbox answers (stored in the module’s database)', async () => {
    const first = await query(a, 'good.memoized_once');
    expect(first).toEqual({ id: expect.any(Number) });
    expect(await query(b, 'good.memoized_once')).toEqual(first);
  });

  it('files - live in the module’s own database (the sandbox reaches them through the node’s broker)', async () => {
    const provider = createDbProvider({ kind: 'mongodb', url: mongo.url, dbPrefix: mongo.dbPrefix });
    try {
      const own = await provider.forModule('good');
      expect(await own.collection('_insights_files').findOne({ _id: 'plots/a.txt' })).toMatchObject({ size: 6 });
      // Another module's database (what a second module on these nodes would use) has none of them.
      expect(await (await provider.forModule('other')).collection('_insights_files').countDocuments({})).toBe(0);
    } finally {
      await provider.close();
    }
  });
});
