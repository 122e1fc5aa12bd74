/**
 * The host's side of a sandbox's database (remote-db.ts is the other): runs the operations a
 * sandbox sends on the module's OWN database, which the node opens by the module's checked name.
 * Nothing in an operation names a database; anything that does not have the expected shape is
 * refused with a coded error. Open cursors are per sandbox life, bounded in number and idle time.
 */
import type { Collection, Db, Document } from '@insights/sdk';
import { InsightsError } from '@insights/sdk';
import { COLLECTION_METHODS, MAX_BATCH, type CursorBatch, type DbOperation } from './db-protocol.ts';

/** Cursors one sandbox may hold open at once. */
export const MAX_OPEN_CURSORS = 64;
/** A cursor nobody read for this long is closed (a module that forgot it). */
export const CURSOR_IDLE_MS = 10 * 60_000;

const METHODS: ReadonlySet<string> = new Set(COLLECTION_METHODS);
const OPERATION_KEYS: Record<DbOperation['op'], readonly string[]> = {
  call: ['op', 'collection', 'method', 'args'],
  'list-collections': ['op'],
  'drop-collection': ['op', 'collection'],
  find: ['op', 'collection', 'filter', 'options', 'batch'],
  aggregate: ['op', 'collection', 'pipeline', 'batch'],
  more: ['op', 'cursor', 'batch'],
  'close-cursor': ['op', 'cursor'],
};

interface OpenCursor {
  readonly it: AsyncIterator<Document>;
  timer: NodeJS.Timeout;
}

export class DbBroker {
  readonly #db: (deadline: number | undefined) => Promise<Db>;
  readonly #cursors = new Map<number, OpenCursor>();
  #nextCursor = 0;
  #closed = false;

  /**
   * @param db the module's own database (opened by the node on first use), or another module's
   *   for this module; `deadline` bounds the operation where the database is reached through the mesh.
   */
  constructor(db: (deadline: number | undefined) => Promise<Db>) {
    this.#db = db;
  }

  /**
   * Runs one operation a sandbox sent; rejects with INVALID_ARGUMENT when it is malformed.
   * `deadline`: of the request it was sent for, as the host knows it.
   */
  async run(message: unknown, deadline?: number): Promise<unknown> {
    const o = checkOperation(message);
    const db = await this.#db(deadline);
    switch (o.op) {
      case 'call': {
        const c = db.collection(o.collection) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
        return c[o.method]!(...o.args);
      }
      case 'list-collections':
        return db.listCollections();
      case 'drop-collection':
        return db.dropCollection(o.collection);
      case 'find': {
        const c: Collection = db.collection(o.collection);
        return this.#open(c.find(o.filter as Document, o.options)[Symbol.asyncIterator](), o.batch);
      }
      case 'aggregate':
        return this.#open(
          db
            .collection(o.collection)
            .aggregate(o.pipeline as Document[])
            [Symbol.asyncIterator](),
          o.batch,
        );
      case 'more': {
        const c = this.#cursors.get(o.cursor);
        if (c === undefined)
          throw new InsightsError(
            'NOT_FOUND',
            `cursor ${o.cursor} is closed (read to its end, or idle over ${CURSOR_IDLE_MS} ms)`,
          );
        return this.#next(o.cursor, c, o.batch);
      }
      case 'close-cursor':
        await this.#close(o.cursor);
        return true;
    }
  }

  /** Closes every cursor (the sandbox is gone). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#cursors.keys()].map((id) => this.#close(id)));
  }

  async #open(it: AsyncIterator<Document>, batch: number): Promise<CursorBatch> {
    if (this.#closed) throw new InsightsError('UNAVAILABLE', 'the sandbox has exited');
    if (this.#cursors.size >= MAX_OPEN_CURSORS) {
      await it.return?.();
      throw new InsightsError(
        'RESOURCE_EXHAUSTED',
        `a module may hold at most ${MAX_OPEN_CURSORS} open cursors (MAX_OPEN_CURSORS); read them to the end or break out of their loops`,
      );
    }
    const id = ++this.#nextCursor;
    const cursor: OpenCursor = { it, timer: this.#idleTimer(id) };
    this.#cursors.set(id, cursor);
    return this.#next(id, cursor, batch);
  }

  async #next(id: number, c: OpenCursor, batch: number): Promise<CursorBatch> {
    clearTimeout(c.timer);
    const docs: Document[] = [];
    try {
      while (docs.length < batch) {
        const r = await c.it.next();
        if (r.done === true) {
          this.#cursors.delete(id);
          return { docs };
        }
        docs.push(r.value);
      }
    } catch (e) {
      await this.#close(id);
      throw e;
    }
    c.timer = this.#idleTimer(id);
    return { docs, cursor: id };
  }

  #idleTimer(id: number): NodeJS.Timeout {
    return setTimeout(() => void this.#close(id), CURSOR_IDLE_MS).unref();
  }

  async #close(id: number): Promise<void> {
    const c = this.#cursors.get(id);
    if (c === undefined) return;
    this.#cursors.delete(id);
    clearTimeout(c.timer);
    await c.it.return?.().catch(() => undefined);
  }
}

function bad(message: string): InsightsError {
  return new InsightsError('INVALID_ARGUMENT', `db operation refused: ${message}`, { parameter: 'db' });
}

/** The operation, if its shape is exactly one of DbOperation's (extra keys, such as a database name, are refused). */
function checkOperation(m: unknown): DbOperation {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad('not an object');
  const o = m as Record<string, unknown>;
  const keys = OPERATION_KEYS[o.op as DbOperation['op']];
  if (keys === undefined) throw bad(`unknown operation ${JSON.stringify(o.op)}`);
  for (const k of Object.keys(o))
    if (!keys.includes(k))
      throw bad(`unexpected field ${JSON.stringify(k)}: a module reaches only its own database, which no operation names`);
  if ('collection' in o && typeof o.collection !== 'string') throw bad('collection must be a string');
  if ('batch' in o && !(Number.isInteger(o.batch) && (o.batch as number) >= 1 && (o.batch as number) <= MAX_BATCH))
    throw bad(`batch must be a whole number from 1 to ${MAX_BATCH}`);
  if ('cursor' in o && !Number.isInteger(o.cursor)) throw bad('cursor must be a whole number');
  if (o.op === 'call') {
    if (typeof o.method !== 'string' || !METHODS.has(o.method))
      throw bad(`unknown collection method ${JSON.stringify(o.method)}`);
    if (!Array.isArray(o.args) || o.args.length > 3) throw bad('args must be an array of at most 3 values');
  }
  if (o.op === 'find' && (typeof o.options !== 'object' || o.options === null)) throw bad('find options must be an object');
  if (o.op === 'aggregate' && !Array.isArray(o.pipeline)) throw bad('pipeline must be an array');
  return o as unknown as DbOperation;
}
