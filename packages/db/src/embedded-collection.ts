/** `Collection` of the embedded engine: MongoDB semantics over a `CollectionStore`. */
import type {
  AggregateCursor,
  Collection,
  CountOptions,
  CreateIndexOptions,
  DeleteResult,
  Document,
  Filter,
  FindCursor,
  FindOneAndDeleteOptions,
  FindOneAndUpdateOptions,
  FindOptions,
  IndexDescription,
  IndexSpec,
  InsertManyOptions,
  InsertManyResult,
  InsertOneResult,
  OptionalId,
  ReplaceOptions,
  UpdateFilter,
  UpdateOptions,
  UpdateResult,
  WithId,
  WithoutId,
} from '@insights/sdk';
import { keyOf } from './codec.ts';
import type { AggregateOffload } from './aggregate-offload.ts';
import { holdsInput, planAggregate, runAggregate } from './aggregate-run.ts';
import { EmbeddedAggregateCursor, EmbeddedFindCursor, type FindSpec } from './embedded-cursor.ts';
import { describeIndex, indexDef, sameIndex } from './embedded-index.ts';
import { distinctValues, findAll, findPages, firstMatch, matchingPages } from './embedded-read.ts';
import { OperationClock, timed, timedPages } from './operation-clock.ts';
import { TimeSlice } from './time-slice.ts';
import { checkReplacement, findAndUpdate, replaceDocument, settleThenThrow, updateDocuments } from './embedded-writes.ts';
import { DbError, isDbError } from './errors.ts';
import { checkUpdate, projectDocuments } from './mingo-ops.ts';
import { ID_INDEX, type CollectionStore } from './sqlite-store.ts';

/** What a collection needs from its database. */
export interface StoreSource {
  readonly databaseName: string;
  /** The store of a collection (looked up per operation, so drops are followed). */
  store(name: string): Promise<CollectionStore>;
  /** Where aggregations that hold their input run, with the file the worker opens (none: on this thread). */
  readonly offload?: AggregateOffload | undefined;
  readonly file?: string | undefined;
}

const ACK = { acknowledged: true } as const;

/** Results are fresh documents parsed from the database: only a projection changes them. */
function project(docs: Document[], projection: FindSpec['projection'], ns: string): Document[] {
  return projection ? projectDocuments(docs, projection, ns) : docs;
}

export class EmbeddedCollection<T extends Document = Document> implements Collection<T> {
  readonly collectionName: string;
  readonly #db: StoreSource;
  readonly #ns: string;

  constructor(db: StoreSource, name: string) {
    this.#db = db;
    this.collectionName = name;
    this.#ns = `${db.databaseName}.${name}`;
  }

  #store(): Promise<CollectionStore> {
    return this.#db.store(this.collectionName);
  }

  async insertOne(doc: OptionalId<T>): Promise<InsertOneResult<T>> {
    const { result: stored, durable } = (await this.#store()).insert(doc as Document);
    await durable;
    return { ...ACK, insertedId: stored['_id'] };
  }

  async insertMany(docs: readonly OptionalId<T>[], options: InsertManyOptions = {}): Promise<InsertManyResult<T>> {
    if (!Array.isArray(docs)) throw new DbError('DB_INVALID_DOCUMENT', `insertMany needs an array (on ${this.#ns}).`);
    const store = await this.#store();
    const ordered = options.ordered !== false;
    const insertedIds: Record<number, unknown> = {};
    const durables: Promise<void>[] = [];
    let firstError: unknown;
    let insertedCount = 0;
    for (const [i, doc] of docs.entries()) {
      try {
        const r = store.insert(doc as Document);
        durables.push(r.durable);
        insertedIds[i] = r.result['_id'];
        insertedCount++;
      } catch (err) {
        firstError ??= err;
        if (ordered) break;
      }
    }
    if (firstError !== undefined) {
      if (isDbError(firstError)) {
        firstError.message += ` (${insertedCount} of ${docs.length} documents were inserted)`;
      }
      return settleThenThrow(durables, firstError);
    }
    await Promise.all(durables);
    return { ...ACK, insertedCount, insertedIds: insertedIds as InsertManyResult<T>['insertedIds'] };
  }

  find(filter: Filter<T> = {}, options: FindOptions = {}): FindCursor<WithId<T>> {
    return new EmbeddedFindCursor<WithId<T>>(
      this.#ns,
      async (spec) => findPages(await this.#store(), filter, spec),
      (page, spec) => project(page, spec.projection, this.#ns),
      options,
    );
  }

  async findOne(filter: Filter<T> = {}, options: FindOptions = {}): Promise<WithId<T> | null> {
    const [doc] = await this.find(filter, { ...options, limit: 1 }).toArray();
    return doc ?? null;
  }

  async countDocuments(filter: Filter<T> = {}, options: CountOptions = {}): Promise<number> {
    const store = await this.#store();
    if (Object.keys(filter ?? {}).length === 0 && !options.skip && !options.limit) return store.count();
    let n = 0;
    const slice = new TimeSlice();
    const clock = new OperationClock(this.#ns);
    for (const page of timedPages(clock, findPages(store, filter, { skip: options.skip, limit: options.limit }))) {
      n += page.length;
      await slice.pause();
    }
    return n;
  }

  async estimatedDocumentCount(): Promise<number> {
    return (await this.#store()).count();
  }

  async distinct<V = unknown>(key: string, filter: Filter<T> = {}): Promise<V[]> {
    const matches: Document[][] = [];
    const slice = new TimeSlice();
    const clock = new OperationClock(this.#ns);
    for (const page of timedPages(clock, matchingPages(await this.#store(), filter))) {
      matches.push(page);
      await slice.pause();
    }
    return distinctValues(matches.flat(), key) as V[];
  }

  aggregate<R extends Document = Document>(pipeline: readonly Document[]): AggregateCursor<R> {
    const run = async (): Promise<Iterable<Document[]>> => {
      const plan = planAggregate(pipeline, this.#ns);
      const { offload, file } = this.#db;
      if (offload !== undefined && file !== undefined && holdsInput(plan)) {
        // The worker reads what is committed: let this database's writes issued so far commit first.
        await (await this.#store()).flushed();
        return [await offload.run({ file, database: this.#db.databaseName, collection: this.collectionName, pipeline })];
      }
      // Other collections are opened now (mingo's resolver is synchronous) but read only as needed.
      const stores = new Map<string, CollectionStore>();
      for (const name of plan.foreign.keys()) stores.set(name, await this.#db.store(name));
      return runAggregate(plan, await this.#store(), stores, this.#ns);
    };
    return new EmbeddedAggregateCursor<R>(this.#ns, run);
  }

  updateOne(filter: Filter<T>, update: UpdateFilter<T> | Document[], options?: UpdateOptions): Promise<UpdateResult<T>> {
    return this.#update(filter, update, options ?? {}, false);
  }

  updateMany(filter: Filter<T>, update: UpdateFilter<T> | Document[], options?: UpdateOptions): Promise<UpdateResult<T>> {
    return this.#update(filter, update, options ?? {}, true);
  }

  async #update(filter: Document, update: unknown, options: UpdateOptions, many: boolean): Promise<UpdateResult<T>> {
    const parsed = checkUpdate(update, this.#ns);
    return (await updateDocuments(await this.#store(), filter, parsed, options, many)) as UpdateResult<T>;
  }

  async replaceOne(filter: Filter<T>, replacement: WithoutId<T>, options: ReplaceOptions = {}): Promise<UpdateResult<T>> {
    const doc = checkReplacement(replacement, this.#ns);
    return (await replaceDocument(await this.#store(), filter, doc, options)) as UpdateResult<T>;
  }

  async findOneAndUpdate(
    filter: Filter<T>,
    update: UpdateFilter<T> | Document[],
    options: FindOneAndUpdateOptions = {},
  ): Promise<WithId<T> | null> {
    const parsed = checkUpdate(update, this.#ns);
    const out = await findAndUpdate(await this.#store(), filter, parsed, options);
    return out === null ? null : ((project([out], options.projection, this.#ns)[0] ?? null) as WithId<T>);
  }

  async findOneAndDelete(filter: Filter<T>, options: FindOneAndDeleteOptions = {}): Promise<WithId<T> | null> {
    const store = await this.#store();
    const [doc] = timed(this.#ns, () =>
      options.sort ? findAll(store, filter, { sort: options.sort, limit: 1 }) : firstMatch(store, filter),
    );
    if (doc === undefined) return null;
    await store.delete(keyOf(doc['_id'])).durable;
    return (project([doc], options.projection, this.#ns)[0] ?? null) as WithId<T> | null;
  }

  deleteOne(filter: Filter<T> = {}): Promise<DeleteResult> {
    return this.#delete(filter, false);
  }

  deleteMany(filter: Filter<T> = {}): Promise<DeleteResult> {
    return this.#delete(filter, true);
  }

  async #delete(filter: Document, many: boolean): Promise<DeleteResult> {
    const store = await this.#store();
    const durables: Promise<void>[] = [];
    let deletedCount = 0;
    const remove = (doc: Document) => {
      const d = store.delete(keyOf(doc['_id']));
      durables.push(d.durable);
      if (d.result) deletedCount++;
    };
    try {
      if (many) {
        // Deleting behind the read position is safe for every page order the planner uses; the
        // loop is given back between pages (per document atomic, as MongoDB's deleteMany).
        const clock = new OperationClock(this.#ns);
        const slice = new TimeSlice();
        for (const page of timedPages(clock, matchingPages(store, filter))) {
          clock.run(() => page.forEach(remove));
          await slice.pause();
        }
      } else timed(this.#ns, () => firstMatch(store, filter).forEach(remove));
      await Promise.all(durables);
    } catch (err) {
      return settleThenThrow(durables, err);
    }
    return { ...ACK, deletedCount };
  }

  async createIndex(spec: IndexSpec, options: CreateIndexOptions = {}): Promise<string> {
    const def = indexDef(spec, options, this.#ns);
    if (def.fields.length === 1 && def.fields[0] === '_id') return ID_INDEX;
    const store = await this.#store();
    for (const existing of store.indexes.values()) {
      if (existing.def.name === def.name && sameIndex(existing.def, def)) return def.name;
      if (existing.def.name === def.name || JSON.stringify(existing.def.key) === JSON.stringify(def.key)) {
        throw new DbError(
          'DB_INVALID_INDEX',
          `Index ${def.name} on ${this.#ns} conflicts with existing index ${existing.def.name} ` +
            `(${JSON.stringify(describeIndex(existing.def))}); drop it first.`,
          { namespace: this.#ns, index: existing.def.name },
        );
      }
    }
    await store.createIndex(def).durable;
    return def.name;
  }

  async listIndexes(): Promise<IndexDescription[]> {
    const store = await this.#store();
    if (!store.exists) return [];
    return [{ name: ID_INDEX, key: { _id: 1 } }, ...[...store.indexes.values()].map((i) => describeIndex(i.def))];
  }

  async dropIndex(name: string): Promise<void> {
    if (name === ID_INDEX) {
      throw new DbError('DB_INVALID_INDEX', `The _id index of ${this.#ns} cannot be dropped.`, { namespace: this.#ns });
    }
    const store = await this.#store();
    if (!store.indexes.has(name)) {
      throw new DbError('DB_INDEX_NOT_FOUND', `No index named ${name} on ${this.#ns}.`, { namespace: this.#ns, index: name });
    }
    await store.dropIndex(name).durable;
  }
}
