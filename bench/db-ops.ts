/**
 * The embedded database's cost per operation, in process, for the shapes the analytics and the
 * count module issue: batches of writes sent in one turn (`Promise.all`), as a handler's batch
 * arrives from the sandbox's db broker.
 *
 *   npx tsx bench/db-ops.ts [--batch 500] [--rounds 15] [--shape NAME,...] [--base DIR]
 *
 * `--base DIR`: another copy of `packages/db/src` (e.g. an older commit's, extracted with
 * `git archive`, its `../node_modules` linked to this one's) run side by side: rounds alternate
 * between the two engines, so both see the same machine load. Prints one JSON line per shape and
 * engine: median µs per operation and ops/s, and every round's µs/op.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { Collection, Db, Document } from '@insights/sdk';
import { summarise } from './stats.ts';

const { values: o } = parseArgs({
  options: {
    batch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '15' },
    shape: { type: 'string' },
    base: { type: 'string' },
  },
});
const BATCH = Number(o.batch);
const ROUNDS = Number(o.rounds);

interface Provider {
  forModule(name: string): Promise<Db>;
  close(): Promise<void>;
}
type MakeProvider = (options: { kind: 'embedded'; dir: string }) => Provider;

interface Engine {
  readonly label: string;
  readonly make: MakeProvider;
}

async function engineAt(label: string, srcDir: string): Promise<Engine> {
  const mod = (await import(pathToFileURL(path.join(srcDir, 'index.ts')).href)) as { createDbProvider: MakeProvider };
  return { label, make: mod.createDbProvider };
}

/** One round's work: a batch of operations started in one turn, on ids from `start`. */
type Round = (c: Collection, start: number) => Promise<unknown>;

interface Shape {
  readonly name: string;
  /** Documents stored before the rounds (ids 0..seed-1), through insertMany. */
  readonly seed: (rounds: number) => number;
  readonly round: Round;
}

const id = (i: number): string => `e-${i.toString(36).padStart(8, '0')}`;
const many = <R>(start: number, f: (i: number) => Promise<R>): Promise<R[]> =>
  Promise.all(Array.from({ length: BATCH }, (_, k) => f(start + k)));
/** A weekly-activity / enrollment document (what `$setOnInsert` carries). */
const weekDoc = (i: number): Document => ({
  course: 'course-v1:Org+C101+2026',
  learner: `learner-${i % 2000}`,
  week: `2026-W${i % 52}`,
  label: i % 3 === 0 ? 'active' : 'idle',
});
/** A keyed event-log document (time-on-task, video-engagement): some events and derived totals. */
const logDoc = (i: number, rev: number): Document => ({
  course: 'course-v1:Org+C101+2026',
  learner: `learner-${i % 2000}`,
  day: '2026-03-01',
  events: Array.from({ length: 8 }, (_, k) => ({ id: `ev-${i}-${k}`, t: 1_770_000_000_000 + k * 60_000 })),
  derived: { events: 8, first: 1, last: 8, within: [1, 2, 3], breaks: [0, 1] },
  _rev: rev,
});
const ignoreDuplicate = (err: { code?: string }): void => {
  if (err.code !== 'DB_DUPLICATE_KEY') throw err;
};

const SHAPES: readonly Shape[] = [
  { name: 'insertOne-new', seed: () => 0, round: (c, s) => many(s, (i) => c.insertOne({ _id: id(i) })) },
  {
    name: 'insertOne-duplicate',
    seed: () => BATCH,
    round: (c) => many(0, (i) => c.insertOne({ _id: id(i) }).catch(ignoreDuplicate)),
  },
  {
    name: 'upsert-setOnInsert-new',
    seed: () => 0,
    round: (c, s) => many(s, (i) => c.updateOne({ _id: id(i) }, { $setOnInsert: weekDoc(i) }, { upsert: true })),
  },
  {
    name: 'upsert-setOnInsert-existing',
    seed: () => BATCH,
    round: (c) => many(0, (i) => c.updateOne({ _id: id(i) }, { $setOnInsert: weekDoc(i) }, { upsert: true })),
  },
  {
    name: 'upsert-inc-max-set-existing',
    seed: () => BATCH,
    round: (c, s) =>
      many(0, (i) =>
        c.updateOne({ _id: id(i) }, { $inc: { n: 1 }, $max: { last: s + i }, $set: { label: 'x' } }, { upsert: true }),
      ),
  },
  {
    name: 'upsert-inc-setOnInsert-new',
    seed: () => 0,
    round: (c, s) => many(s, (i) => c.updateOne({ _id: id(i) }, { $inc: { n: 1 }, $setOnInsert: weekDoc(i) }, { upsert: true })),
  },
  {
    name: 'find-in-100',
    seed: () => BATCH * 100,
    round: (c, s) =>
      many(0, (k) => {
        const from = ((s + k) * 100) % (BATCH * 100);
        return c.find({ _id: { $in: Array.from({ length: 100 }, (_, j) => id(from + j)) } }).toArray();
      }),
  },
  {
    name: 'findOne-id',
    seed: () => BATCH,
    round: (c) => many(0, (i) => c.findOne({ _id: id(i) })),
  },
  {
    // keyed-doc.ts: a guarded replace of one event log by its id and revision.
    name: 'replaceOne-id-rev',
    seed: () => BATCH,
    round: async (c, s) => {
      const rev = s / BATCH; // rounds run in order: round r finds revision r
      await many(0, (i) => c.replaceOne({ _id: id(i), _rev: rev }, logDoc(i, rev + 1)));
    },
  },
];

async function seedOf(c: Collection, shape: Shape): Promise<void> {
  const n = shape.seed(ROUNDS);
  for (let from = 0; from < n; from += 1000) {
    const docs = Array.from({ length: Math.min(1000, n - from) }, (_, k) =>
      shape.name.startsWith('replace')
        ? { _id: id(from + k), ...logDoc(from + k, 0) }
        : { _id: id(from + k), ...weekDoc(from + k) },
    );
    await c.insertMany(docs);
  }
}

interface Running {
  readonly engine: Engine;
  readonly provider: Provider;
  readonly c: Collection;
  readonly usPerOp: number[];
}

async function runShape(shape: Shape, engines: readonly Engine[], dir: string): Promise<void> {
  const running: Running[] = [];
  for (const engine of engines) {
    const provider = engine.make({ kind: 'embedded', dir: path.join(dir, engine.label, shape.name) });
    const c = (await provider.forModule('bench')).collection('ops');
    await seedOf(c, shape);
    await shape.round(c, 1_000_000_000); // warm-up on ids no measured round uses
    running.push({ engine, provider, c, usPerOp: [] });
  }
  // The warm-up of a replace shape moved nothing (its revision matched no document).
  for (let r = 0; r < ROUNDS; r++) {
    for (const run of r % 2 === 0 ? running : [...running].reverse()) {
      const t0 = process.hrtime.bigint();
      await shape.round(run.c, r * BATCH);
      run.usPerOp.push(Number(process.hrtime.bigint() - t0) / 1000 / BATCH);
    }
  }
  for (const run of running) {
    await run.provider.close();
    const s = summarise(run.usPerOp);
    const line = {
      shape: shape.name,
      engine: run.engine.label,
      batch: BATCH,
      usPerOp: Number(s.median.toFixed(2)),
      opsPerSec: Math.round(1e6 / s.median),
      rounds: s.runs.map((v) => Number(v.toFixed(2))),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

const own = path.join(import.meta.dirname, '..', 'packages', 'db', 'src');
const engines = [await engineAt('new', own)];
if (o.base !== undefined) engines.unshift(await engineAt('old', path.resolve(o.base)));
const wanted = o.shape?.split(',');
const dir = await mkdtemp(path.join(os.tmpdir(), 'db-ops-'));
try {
  for (const shape of SHAPES) if (wanted === undefined || wanted.includes(shape.name)) await runShape(shape, engines, dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}
