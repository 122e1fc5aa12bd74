/**
 * `Collection` over the official driver. Differences from raw driver use, to match the embedded
 * engine: generated `_id`s are 24-hex strings (also for upserts), inputs are never mutated, and
 * errors are DbErrors with the same codes.
 */
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
import type {
  Collection as DriverCollection,
  Filter as DriverFilter,
  UpdateFilter as DriverUpdateFilter,
  UpdateResult as DriverUpdateResult,
} from 'mongodb';
import { checkReplacement } from './embedded-writes.ts';
import { DbError } from './errors.ts';
import { checkUpdate } from './mingo-ops.ts';
import { MongoAggregateCursorAdapter, MongoFindCursorAdapter } from './mongo-cursor.ts';
import { mapMongoError, mongoCall } from './mongo-errors.ts';
import { newObjectIdHex } from './object-id.ts';

const NAMESPACE_NOT_FOUND = 26;

/** Our filter types are a simpler copy of the driver's; the driver checks the values itself. */
function df(filter: unknown): DriverFilter<Document> {
  return filter as DriverFilter<Document>;
}

function du(update: unknown): DriverUpdateFilter<Document> | Document[] {
  return update as DriverUpdateFilter<Document> | Document[];
}

function withStringId(doc: Document): Document {
  return doc['_id'] === undefined ? { ...doc, _id: newObjectIdHex() } : { ...doc };
}

/** For upserts: give an inserted document a string `_id` unless the filter or update sets one. */
function upsertWithId(filter: Document, update: Document | Document[]): Document | Document[] {
  if (Array.isArray(update) || '_id' in filter) return update;
  const set = update['$set'] as Document | undefined;
  const onInsert = (update['$setOnInsert'] as Document | undefined) ?? {};
  if (set?.['_id'] !== undefined || onInsert['_id'] !== undefined) return update;
  return { ...update, $setOnInsert: { ...onInsert, _id: newObjectIdHex() } };
}

function updateResult<T>(r: DriverUpdateResult): UpdateResult<T> {
  return {
    acknowledged: r.acknowledged,
    matchedCount: r.matchedCount,
    modifiedCount: r.modifiedCount,
    upsertedCount: r.upsertedCount,
    upsertedId: (r.upsertedId ?? null) as UpdateResult<T>['upsertedId'],
  };
}

export class MongoCollectionAdapter<T extends Document = Document> implements Collection<T> {
  readonly collectionName: string;
  readonly #c: DriverCollection<Document>;
  readonly #ns: string;

  constructor(collection: DriverCollection<Document>, ns: string) {
    this.#c = collection;
    this.collectionName = collection.collectionName;
    this.#ns = ns;
  }

  async insertOne(doc: OptionalId<T>): Promise<InsertOneResult<T>> {
    const r = await mongoCall('insert', this.#ns, () => this.#c.insertOne(withStringId(doc as Document)));
    return { acknowledged: r.acknowledged, insertedId: r.insertedId as InsertOneResult<T>['insertedId'] };
  }

  async insertMany(docs: readonly OptionalId<T>[], options: InsertManyOptions = {}): Promise<InsertManyResult<T>> {
    if (docs.length === 0) return { acknowledged: true, insertedCount: 0, insertedIds: {} };
    const input = docs.map((d) => withStringId(d as Document));
    const r = await mongoCall('insert', this.#ns, () => this.#c.insertMany(input, { ordered: options.ordered !== false }));
    return {
      acknowledged: r.acknowledged,
      insertedCount: r.insertedCount,
      insertedIds: r.insertedIds as InsertManyResult<T>['insertedIds'],
    };
  }

  find(filter: Filter<T> = {}, options: FindOptions = {}): FindCursor<WithId<T>> {
    try {
      return new MongoFindCursorAdapter<WithId<T>>(this.#c.find(df(filter), options), this.#ns);
    } catch (err) {
      throw mapMongoError(err, 'read', this.#ns);
    }
  }

  findOne(filter: Filter<T> = {}, options: FindOptions = {}): Promise<WithId<T> | null> {
    return mongoCall('read', this.#ns, () => this.#c.findOne(df(filter), options) as Promise<WithId<T> | null>);
  }

  countDocuments(filter: Filter<T> = {}, options: CountOptions = {}): Promise<number> {
    return mongoCall('read', this.#ns, () => this.#c.countDocuments(df(filter), options));
  }

  estimatedDocumentCount(): Promise<number> {
    return mongoCall('read', this.#ns, () => this.#c.estimatedDocumentCount());
  }

  async distinct<V = unknown>(key: string, filter: Filter<T> = {}): Promise<V[]> {
    return (await mongoCall('read', this.#ns, () => this.#c.distinct(key, df(filter)))) as V[];
  }

  aggregate<R extends Document = Document>(pipeline: readonly Document[]): AggregateCursor<R> {
    try {
      return new MongoAggregateCursorAdapter<R>(this.#c.aggregate([...pipeline]), this.#ns);
    } catch (err) {
      throw mapMongoError(err, 'aggregate', this.#ns);
    }
  }

  updateOne(filter: Filter<T>, update: UpdateFilter<T> | Document[], options: UpdateOptions = {}): Promise<UpdateResult<T>> {
    return this.#update('updateOne', filter, update, options);
  }

  updateMany(filter: Filter<T>, update: UpdateFilter<T> | Document[], options: UpdateOptions = {}): Promise<UpdateResult<T>> {
    return this.#update('updateMany', filter, update, options);
  }

  async #update(
    how: 'updateOne' | 'updateMany',
    filter: Filter<T>,
    update: UpdateFilter<T> | Document[],
    options: UpdateOptions,
  ): Promise<UpdateResult<T>> {
    checkUpdate(update, this.#ns);
    const u = options.upsert ? upsertWithId(filter, update as Document) : (update as Document);
    return mongoCall('update', this.#ns, async () => updateResult<T>(await this.#c[how](df(filter), du(u), options)));
  }

  async replaceOne(filter: Filter<T>, replacement: WithoutId<T>, options: ReplaceOptions = {}): Promise<UpdateResult<T>> {
    const doc = { ...checkReplacement(replacement, this.#ns) };
    return mongoCall('update', this.#ns, async () => {
      if (!options.upsert || doc['_id'] !== undefined || '_id' in filter) {
        return updateResult<T>(await this.#c.replaceOne(df(filter), doc, options));
      }
      // Replace first; only when nothing matched, insert with a string _id (a replacement
      // carrying a new _id would fail against an existing document).
      const r = await this.#c.replaceOne(df(filter), doc);
      if (r.matchedCount > 0) return updateResult<T>(r);
      return updateResult<T>(await this.#c.replaceOne(df(filter), { _id: newObjectIdHex(), ...doc }, { upsert: true }));
    });
  }

  async findOneAndUpdate(
    filter: Filter<T>,
    update: UpdateFilter<T> | Document[],
    options: FindOneAndUpdateOptions = {},
  ): Promise<WithId<T> | null> {
    checkUpdate(update, this.#ns);
    const u = options.upsert ? upsertWithId(filter, update as Document) : (update as Document);
    return mongoCall(
      'update',
      this.#ns,
      () =>
        this.#c.findOneAndUpdate(df(filter), du(u) as DriverUpdateFilter<Document>, {
          returnDocument: 'before',
          ...options,
        }) as Promise<WithId<T> | null>,
    );
  }

  findOneAndDelete(filter: Filter<T>, options: FindOneAndDeleteOptions = {}): Promise<WithId<T> | null> {
    return mongoCall('read', this.#ns, () => this.#c.findOneAndDelete(df(filter), options) as Promise<WithId<T> | null>);
  }

  async deleteOne(filter: Filter<T> = {}): Promise<DeleteResult> {
    const r = await mongoCall('read', this.#ns, () => this.#c.deleteOne(df(filter)));
    return { acknowledged: r.acknowledged, deletedCount: r.deletedCount };
  }

  async deleteMany(filter: Filter<T> = {}): Promise<DeleteResult> {
    const r = await mongoCall('read', this.#ns, () => this.#c.deleteMany(df(filter)));
    return { acknowledged: r.acknowledged, deletedCount: r.deletedCount };
  }

  createIndex(spec: IndexSpec, options: CreateIndexOptions = {}): Promise<string> {
    return mongoCall('index', this.#ns, () => this.#c.createIndex(spec, options));
  }

  async listIndexes(): Promise<IndexDescription[]> {
    try {
      const raw = await this.#c.listIndexes().toArray();
      return raw.map((i) => ({
        name: String(i['name']),
        key: i['key'] as IndexSpec,
        ...(i['unique'] === true ? { unique: true } : {}),
        ...(i['sparse'] === true ? { sparse: true } : {}),
      }));
    } catch (err) {
      if ((err as { code?: unknown }).code === NAMESPACE_NOT_FOUND) return [];
      throw mapMongoError(err, 'index', this.#ns);
    }
  }

  async dropIndex(name: string): Promise<void> {
    try {
      await this.#c.dropIndex(name);
    } catch (err) {
      // No collection means no such index, as on the embedded engine.
      if ((err as { code?: unknown }).code === NAMESPACE_NOT_FOUND) {
        throw new DbError('DB_INDEX_NOT_FOUND', `No index named ${name} on ${this.#ns}.`, { namespace: this.#ns, index: name });
      }
      throw mapMongoError(err, 'index', this.#ns);
    }
  }
}
