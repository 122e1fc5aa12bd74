/**
 * Child process of the memory test: runs a module in local mode (the node's embedded database
 * engine, `createDbProvider({ kind: 'embedded' })`) and has it write DOCS documents in calls of
 * BATCH, asking it queries between writes. Prints one JSON line per checkpoint with its RSS, so
 * the parent measures a process that does nothing else.
 * Usage: node --import tsx memory-child.ts <dataDir> <docs>
 */
import { local } from '@insights/client';
import { defineModule, query, z } from '@insights/sdk';

const BATCH = 10_000;
const LEARNERS = 5_000;

const writer = defineModule({
  name: 'memwriter',
  queries: {
    write: query({
      idempotent: false,
      params: { from: z.number().int().min(0), count: z.number().int().min(1).max(10_000) },
      run: async ({ from, count }, { db }) => {
        const docs = db.collection('attempts');
        const batch = Array.from({ length: count }, (_, i) => {
          const seq = from + i;
          return { _id: `a${seq}`, seq, learner: `u${seq % LEARNERS}`, score: seq % 100, note: 'attempt' };
        });
        await docs.insertMany(batch);
        await db.collection('totals').updateOne({ _id: 'all' }, { $inc: { n: count } }, { upsert: true });
        return count;
      },
    }),
    setup: query({
      idempotent: false,
      run: async (_args, { db }) => {
        await db.collection('attempts').createIndex({ learner: 1 });
        await db.collection('attempts').createIndex({ seq: 1 }, { unique: true });
        return true;
      },
    }),
    learnerCount: query({
      params: { learner: z.string() },
      run: ({ learner }, { db }) => db.collection('attempts').countDocuments({ learner }),
    }),
    latest: query({
      run: async (_args, { db }) => (await db.collection('attempts').find({}).sort({ seq: -1 }).limit(1).toArray())[0]?.['seq'],
    }),
    total: query({ run: async (_args, { db }) => (await db.collection('totals').findOne({ _id: 'all' }))?.['n'] ?? 0 }),
  },
});

interface WriterMesh {
  query: Record<string, (args?: Record<string, unknown>) => Promise<unknown>>;
}

async function main(): Promise<void> {
  const [dataDir, docsArg] = process.argv.slice(2);
  if (dataDir === undefined || docsArg === undefined) throw new Error('usage: memory-child.ts <dataDir> <docs>');
  const total = Number(docsArg);
  const mesh = await local<WriterMesh>({ modules: [writer], dataDir, defaultTimeoutMs: 120_000 });
  const q = mesh.query;
  await q['setup']!();
  const print = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  print({ written: 0, rss: process.memoryUsage().rss });
  for (let from = 0; from < total; from += BATCH) {
    await q['write']!({ from, count: Math.min(BATCH, total - from) });
    if ((from / BATCH) % 10 === 9 || from + BATCH >= total) {
      const written = Math.min(from + BATCH, total);
      // Queries keep answering, through the indexes, while the collection grows.
      const learner = (await q['learnerCount']!({ learner: 'u7' })) as number;
      const latest = (await q['latest']!()) as number;
      print({ written, rss: process.memoryUsage().rss, learner, latest, total: await q['total']!() });
    }
  }
  await mesh.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
