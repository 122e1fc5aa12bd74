/**
 * Child process of the $lookup memory test: fills a foreign collection of FOREIGN documents in
 * the embedded engine, then joins LOCAL documents to it with an equality `$lookup`, sampling the
 * heap after a full GC (node --expose-gc) while the results stream. Prints one JSON line.
 * Usage: node --expose-gc --import tsx lookup-memory-child.ts <dataDir>
 */
import { createDbProvider } from '@insights/db';

const FOREIGN = 200_000;
const LOCAL = 1_000;
const GROUPS = 20_000;
const BATCH = 10_000;

function heapAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const [dir] = process.argv.slice(2);
  if (dir === undefined) throw new Error('usage: lookup-memory-child.ts <dataDir>');
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('run with --expose-gc');
  const provider = createDbProvider({ kind: 'embedded', dir });
  const db = await provider.forModule('lookupmem');
  const attempts = db.collection('attempts');
  let foreignBytes = 0;
  for (let from = 0; from < FOREIGN; from += BATCH) {
    const docs = Array.from({ length: BATCH }, (_, i) => {
      const seq = from + i;
      return { _id: `a${seq}`, group: `g${seq % GROUPS}`, score: seq % 100, note: `attempt ${seq} of the course` };
    });
    foreignBytes += docs.reduce((n, d) => n + JSON.stringify(d).length, 0);
    await attempts.insertMany(docs);
  }
  await attempts.createIndex({ group: 1 });
  await db.collection('groups').insertMany(Array.from({ length: LOCAL }, (_, i) => ({ _id: `g${i}`, name: `group ${i}` })));

  const baseline = heapAfterGc();
  let peak = baseline;
  let joined = 0;
  let rows = 0;
  const cursor = db
    .collection('groups')
    .aggregate([{ $lookup: { from: 'attempts', localField: '_id', foreignField: 'group', as: 'attempts' } }]);
  for await (const row of cursor) {
    joined += (row['attempts'] as unknown[]).length;
    if (++rows % 100 === 0) peak = Math.max(peak, heapAfterGc());
  }
  await provider.close();
  process.stdout.write(`${JSON.stringify({ foreignBytes, baseline, peak, rows, joined })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
