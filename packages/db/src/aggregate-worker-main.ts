/**
 * The aggregation worker (a child process of the node, aggregate-offload.ts): runs the pipelines
 * that hold their input (holdsInput) on its own connection to the module's SQLite file, so a
 * `$group` over a large collection takes this thread, bounded in memory and time, and never the
 * node's. Each request opens the file afresh (WAL: it reads the last commit, and sees collections
 * and indexes made since the last request), and answers with the results serialised once, their
 * size checked.
 */
import { serialize } from 'node:v8';
import type { Document } from '@insights/sdk';
import { planAggregate, runAggregate } from './aggregate-run.ts';
import type { OffloadAnswer, OffloadRequest } from './aggregate-offload.ts';
import { DbError, messageOf } from './errors.ts';
import { DEFAULT_CACHE_SIZE_KIB, SqliteDatabase } from './sqlite-database.ts';
import { CollectionStore } from './sqlite-store.ts';

function run(r: OffloadRequest): Uint8Array {
  const sqlite = new SqliteDatabase({
    file: r.file,
    name: r.database,
    cacheSizeKiB: DEFAULT_CACHE_SIZE_KIB,
    syncEveryCommit: false,
  });
  try {
    const ns = `${r.database}.${r.collection}`;
    const plan = planAggregate(r.pipeline, ns);
    const stores = new Map([...plan.foreign.keys()].map((name) => [name, new CollectionStore(sqlite, name)]));
    const docs: Document[] = [];
    for (const page of runAggregate(plan, new CollectionStore(sqlite, r.collection), stores, ns)) docs.push(...page);
    const bytes = serialize(docs);
    if (bytes.length > r.maxResultBytes)
      throw new DbError(
        'DB_AGGREGATION_TOO_COSTLY',
        `The aggregation on ${ns} returned ${bytes.length} bytes, over the ${r.maxResultBytes} an aggregation may return: ` +
          'add a $limit, a $project or a narrower $match.',
        { namespace: ns },
      );
    return bytes;
  } finally {
    sqlite.close();
  }
}

process.on('message', (r: OffloadRequest) => {
  let answer: OffloadAnswer;
  try {
    answer = { id: r.id, results: run(r) };
  } catch (e) {
    answer =
      e instanceof DbError
        ? { id: r.id, error: { code: e.code, message: e.message, namespace: e.namespace } }
        : { id: r.id, error: { code: 'DB_INVALID_PIPELINE', message: messageOf(e) } };
  }
  process.send!(answer);
});
// The node gone, nothing is left to answer.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
