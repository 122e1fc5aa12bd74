/**
 * `ctx.db` inside a sandbox: the same `Db` interface, every operation sent to the host (which
 * owns the database handle, db-broker.ts). The channel batches what is sent in one turn, so a
 * handler's concurrent writes cross in one message; cursors fetch their documents in batches as
 * they are read, never the whole result at once unless `toArray` asks for it.
 */
import type { AggregateCursor, Collection, Db, Document, FindCursor, FindOptions, Projection, Sort } from '@insights/sdk';
import type { DbProvider } from '@insights/db';
import { checkCollectionName, checkCount, DbError } from '@insights/db/internal';
import { COLLECTION_METHODS, FIRST_BATCH, NEXT_BATCH, type CursorBatch, type DbOperation } from './db-protocol.ts';

/** Sends one operation to the host and resolves with its answer. */
export type DbSend = (operation: DbOperation) => Promise<unknown>;

/** A provider with one database: the module's own (the host decides which; the name is only for display). */
export function remoteDbProvider(send: DbSend): DbProvider {
  const dbs = new Map<string, Db>();
  return {
    forModule(name) {
      let db = dbs.get(name);
      if (db === undefined) dbs.set(name, (db = new RemoteDb(name, send)));
      return Promise.resolve(db);
    },
    // The host owns the handle and closes it; nothing is held here.
    close: () => Promise.resolve(),
  };
}

class RemoteDb implements Db {
  /** Handlers call `db.collection(name)` per operation: one handle per name. */
  readonly #collections = new Map<string, Collection>();

  constructor(
    readonly databaseName: string,
    readonly send: DbSend,
  ) {}

  collection<T extends Document = Document>(name: string): Collection<T> {
    let c = this.#collections.get(name);
    if (c === undefined) this.#collections.set(name, (c = remoteCollection(checkCollectionName(name), this.send)));
    return c as unknown as Collection<T>;
  }

  async listCollections(): Promise<string[]> {
    return (await this.send({ op: 'list-collections' })) as string[];
  }

  async dropCollection(name: string): Promise<boolean> {
    return (await this.send({ op: 'drop-collection', collection: checkCollectionName(name) })) as boolean;
  }
}

function remoteCollection<T extends Document>(collection: string, send: DbSend): Collection<T> {
  const c: Record<string, unknown> = {
    collectionName: collection,
    find: (filter?: unknown, options?: FindOptions) => new RemoteFindCursor(send, collection, filter ?? {}, { ...options }),
    aggregate: (pipeline: readonly unknown[]) => new RemoteAggregateCursor(send, collection, pipeline),
  };
  for (const method of COLLECTION_METHODS)
    c[method] = (...args: unknown[]) => {
      // Trailing undefined arguments cannot cross structured clone meaningfully: drop them.
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      return send({ op: 'call', collection, method, args });
    };
  return c as unknown as Collection<T>;
}

/** Reads a cursor's batches from the host as they are needed; closes it on the host if reading stops early. */
abstract class RemoteCursor<T> {
  #started = false;

  constructor(protected readonly send: DbSend) {}

  protected abstract open(batch: number): DbOperation;

  protected assertIdle(what: string): void {
    if (this.#started)
      throw new DbError('DB_CURSOR_IN_USE', `Cannot call ${what}() after the cursor was read; build a new cursor.`);
  }

  #start(batch: number): Promise<CursorBatch> {
    this.assertIdle('toArray/iterate');
    this.#started = true;
    return this.send(this.open(batch)) as Promise<CursorBatch>;
  }

  async toArray(): Promise<T[]> {
    let b = await this.#start(NEXT_BATCH);
    const all = [...b.docs] as T[];
    while (b.cursor !== undefined) {
      b = (await this.send({ op: 'more', cursor: b.cursor, batch: NEXT_BATCH })) as CursorBatch;
      for (const d of b.docs) all.push(d as T);
    }
    return all;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    let b = await this.#start(FIRST_BATCH);
    try {
      for (;;) {
        yield* b.docs as T[];
        if (b.cursor === undefined) return;
        b = (await this.send({ op: 'more', cursor: b.cursor, batch: NEXT_BATCH })) as CursorBatch;
      }
    } finally {
      // Left early (break, throw): free the host's cursor.
      if (b.cursor !== undefined) void this.send({ op: 'close-cursor', cursor: b.cursor }).catch(() => undefined);
    }
  }
}

class RemoteFindCursor<T> extends RemoteCursor<T> implements FindCursor<T> {
  constructor(
    send: DbSend,
    private readonly collection: string,
    private readonly filter: unknown,
    private readonly options: Record<string, unknown>,
  ) {
    super(send);
  }

  sort(sort: Sort): this {
    this.assertIdle('sort');
    this.options.sort = sort;
    return this;
  }

  skip(n: number): this {
    this.assertIdle('skip');
    this.options.skip = checkCount('skip', n);
    return this;
  }

  limit(n: number): this {
    this.assertIdle('limit');
    this.options.limit = checkCount('limit', n);
    return this;
  }

  project<P extends Document = Document>(projection: Projection): FindCursor<P> {
    this.assertIdle('project');
    this.options.projection = projection;
    return this as unknown as FindCursor<P>;
  }

  protected open(batch: number): DbOperation {
    return { op: 'find', collection: this.collection, filter: this.filter, options: this.options, batch };
  }
}

class RemoteAggregateCursor<T> extends RemoteCursor<T> implements AggregateCursor<T> {
  constructor(
    send: DbSend,
    private readonly collection: string,
    private readonly pipeline: readonly unknown[],
  ) {
    super(send);
  }

  protected open(batch: number): DbOperation {
    return { op: 'aggregate', collection: this.collection, pipeline: this.pipeline, batch };
  }
}
