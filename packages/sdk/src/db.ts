/**
 * The per-module database: a subset of the MongoDB driver API. Types only; the node provides the
 * implementation (an embedded on-disk engine by default, or a real MongoDB server). Names follow
 * the official `mongodb` driver so its documentation applies, with these differences on purpose:
 *
 * - generated `_id`s are 24-hex-digit strings (ObjectId-like), not `ObjectId` objects, on both
 *   engines, so module code never needs the driver's `bson` package;
 * - `Date` values round-trip as `Date`; `undefined` fields are dropped; field names starting with
 *   `$` are rejected by the embedded engine;
 * - failures are thrown as errors whose `code` is a {@link DbErrorCode}.
 */

/**
 * A stored document. `any` on purpose, as in the official driver: untyped collections must allow
 * `doc.count + 1` without casts. Declare a document interface and use `db.collection<T>()` for
 * checked access.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Document = { [key: string]: any };

/**
 * The `_id` type of a schema: its declared `_id`, else the generated 24-hex-digit string; for
 * untyped documents (an index signature) anything, like their other fields.
 */
export type InferIdType<T> = string extends keyof T
  ? // eslint-disable-next-line @typescript-eslint/no-explicit-any
    any
  : T extends { _id: infer I }
    ? I
    : T extends { _id?: infer I }
      ? Exclude<I, undefined>
      : string;
/** A schema as stored and returned: `_id` always present. */
export type WithId<T> = Omit<T, '_id'> & { _id: InferIdType<T> };
/** A schema as inserted: `_id` may be left out and is then generated. */
export type OptionalId<T> = Omit<T, '_id'> & { _id?: InferIdType<T> };
/** A replacement document: `_id` may be left out (it is kept) or must equal the stored one. */
export type WithoutId<T> = Omit<T, '_id'> & { _id?: InferIdType<T> };

/** Operators allowed on one field in a filter. */
export interface FilterOperators<V> {
  $eq?: V;
  $ne?: V | null;
  $gt?: V;
  $gte?: V;
  $lt?: V;
  $lte?: V;
  $in?: readonly (V | null)[];
  $nin?: readonly (V | null)[];
  $exists?: boolean;
  $type?: string | number;
  $regex?: string | RegExp;
  $options?: string;
  $not?: FilterOperators<V> | RegExp;
  $size?: number;
  $all?: readonly unknown[];
  $elemMatch?: Document;
  $mod?: readonly [number, number];
}

/** A field's condition: a value (equality; for arrays, "contains"), a RegExp, or operators. */
export type Condition<V> = V | (V extends readonly (infer E)[] ? E | FilterOperators<E> : never) | FilterOperators<V> | RegExp;

/** Logical operators at the root of a filter. */
export interface RootFilterOperators<T> {
  $and?: Filter<T>[];
  $or?: Filter<T>[];
  $nor?: Filter<T>[];
  /** An aggregation expression evaluated per document. */
  $expr?: Document;
}

/**
 * A query filter. Known top-level fields are type-checked; dotted paths (`'address.city'`) and
 * other fields are accepted as in the driver.
 */
export type Filter<T = Document> = { [P in keyof WithId<T>]?: Condition<WithId<T>[P]> } & RootFilterOperators<T> & Document;

/** Field paths to values; dotted paths (`'a.b'`, `'items.$'`, `'items.$[el]'`) are allowed. */
export type FieldMap<V = unknown> = { [path: string]: V };

/** Update operators. A plain document (no `$` keys) is a replacement: use `replaceOne` for that. */
export interface UpdateFilter<T = Document> {
  $set?: Partial<T> | FieldMap;
  $unset?: FieldMap<'' | 1 | true>;
  $inc?: FieldMap<number>;
  $mul?: FieldMap<number>;
  $min?: FieldMap;
  $max?: FieldMap;
  $rename?: FieldMap<string>;
  /** Applied only when an upsert inserts a new document. */
  $setOnInsert?: Partial<T> | FieldMap;
  $currentDate?: FieldMap<true | { $type: 'date' }>;
  /** `{ field: value }` or `{ field: { $each: [...], $slice?, $sort?, $position? } }`. */
  $push?: FieldMap;
  /** `{ field: value }` or `{ field: { $each: [...] } }`. */
  $addToSet?: FieldMap;
  /** Removes matching elements: `{ field: value | condition }`. */
  $pull?: FieldMap;
  $pullAll?: FieldMap<readonly unknown[]>;
  $pop?: FieldMap<1 | -1>;
}

/** Sort specification: field path to 1 (ascending) or -1 (descending), in priority order. */
export type Sort = { [path: string]: 1 | -1 };

/** Projection: `{ a: 1, b: 1 }` (include) or `{ c: 0 }` (exclude); `_id` is included unless 0. */
export type Projection = { [path: string]: 0 | 1 | boolean | Document };

export interface FindOptions {
  projection?: Projection;
  sort?: Sort;
  skip?: number;
  limit?: number;
}

export interface CountOptions {
  skip?: number;
  limit?: number;
}

export interface InsertManyOptions {
  /** Stop at the first failing document (default true); false tries every document. */
  ordered?: boolean;
}

export interface UpdateOptions {
  /** Insert a document built from the filter's equality fields and the update when none matches. */
  upsert?: boolean;
  /** Filters for `$[identifier]` positional updates. */
  arrayFilters?: Document[];
}

export interface ReplaceOptions {
  upsert?: boolean;
}

export interface FindOneAndUpdateOptions extends UpdateOptions {
  /** Return the document as it was before the update (default) or after it. */
  returnDocument?: 'before' | 'after';
  /** Which document to update when several match. */
  sort?: Sort;
  projection?: Projection;
}

export interface FindOneAndDeleteOptions {
  sort?: Sort;
  projection?: Projection;
}

export interface InsertOneResult<T = Document> {
  acknowledged: boolean;
  insertedId: InferIdType<T>;
}

export interface InsertManyResult<T = Document> {
  acknowledged: boolean;
  insertedCount: number;
  /** Position in the input array -> `_id`. */
  insertedIds: { [index: number]: InferIdType<T> };
}

export interface UpdateResult<T = Document> {
  acknowledged: boolean;
  matchedCount: number;
  /** Documents actually changed (an update that sets equal values does not count). */
  modifiedCount: number;
  upsertedCount: number;
  upsertedId: InferIdType<T> | null;
}

export interface DeleteResult {
  acknowledged: boolean;
  deletedCount: number;
}

/** Index keys: field path to 1 (ascending) or -1 (descending). Compound when several. */
export type IndexSpec = { [path: string]: 1 | -1 };

export interface CreateIndexOptions {
  /** Defaults to the driver's naming: `a_1_b_-1`. */
  name?: string;
  /** Reject documents whose key is already present (`DB_DUPLICATE_KEY`). */
  unique?: boolean;
  /** Leave documents without the field out of the index (so many may lack it under `unique`). */
  sparse?: boolean;
}

export interface IndexDescription {
  name: string;
  key: IndexSpec;
  unique?: boolean;
  sparse?: boolean;
}

/**
 * Results of `find`, read lazily. Modifiers return the cursor and must be called before the first
 * read; reading twice is an error (`DB_CURSOR_IN_USE`).
 */
export interface FindCursor<T = Document> extends AsyncIterable<T> {
  sort(sort: Sort): this;
  skip(n: number): this;
  limit(n: number): this;
  project<P extends Document = Document>(projection: Projection): FindCursor<P>;
  toArray(): Promise<T[]>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

/** Results of `aggregate`, read lazily; read once. */
export interface AggregateCursor<T = Document> extends AsyncIterable<T> {
  toArray(): Promise<T[]>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

/**
 * One collection. Every returned document is a copy: changing it never changes the store.
 * A write's promise resolves once the write is durable (journaled on disk, or acknowledged by
 * MongoDB with its default write concern).
 */
export interface Collection<T extends Document = Document> {
  readonly collectionName: string;

  insertOne(doc: OptionalId<T>): Promise<InsertOneResult<T>>;
  insertMany(docs: readonly OptionalId<T>[], options?: InsertManyOptions): Promise<InsertManyResult<T>>;

  find(filter?: Filter<T>, options?: FindOptions): FindCursor<WithId<T>>;
  findOne(filter?: Filter<T>, options?: FindOptions): Promise<WithId<T> | null>;
  countDocuments(filter?: Filter<T>, options?: CountOptions): Promise<number>;
  /** Count of all documents, from metadata (no filter). */
  estimatedDocumentCount(): Promise<number>;
  /** Distinct values of a field (array values contribute their elements). */
  distinct<V = unknown>(key: string, filter?: Filter<T>): Promise<V[]>;
  /**
   * Runs an aggregation pipeline. Supported stages on the embedded engine include `$match`
   * `$group` `$sort` `$project` `$limit` `$skip` `$unwind` `$count` `$addFields`/`$set` `$unset`
   * `$lookup` (same database) `$facet` `$bucket` `$sortByCount` `$replaceRoot`; not `$out`/`$merge`.
   */
  aggregate<R extends Document = Document>(pipeline: readonly Document[]): AggregateCursor<R>;

  updateOne(filter: Filter<T>, update: UpdateFilter<T> | Document[], options?: UpdateOptions): Promise<UpdateResult<T>>;
  updateMany(filter: Filter<T>, update: UpdateFilter<T> | Document[], options?: UpdateOptions): Promise<UpdateResult<T>>;
  replaceOne(filter: Filter<T>, replacement: WithoutId<T>, options?: ReplaceOptions): Promise<UpdateResult<T>>;
  /** Updates one document and returns it (before or after), or null when none matched. */
  findOneAndUpdate(
    filter: Filter<T>,
    update: UpdateFilter<T> | Document[],
    options?: FindOneAndUpdateOptions,
  ): Promise<WithId<T> | null>;
  findOneAndDelete(filter: Filter<T>, options?: FindOneAndDeleteOptions): Promise<WithId<T> | null>;
  deleteOne(filter?: Filter<T>): Promise<DeleteResult>;
  deleteMany(filter?: Filter<T>): Promise<DeleteResult>;

  /** Creates an index (idempotent for an identical spec) and returns its name. */
  createIndex(spec: IndexSpec, options?: CreateIndexOptions): Promise<string>;
  listIndexes(): Promise<IndexDescription[]>;
  dropIndex(name: string): Promise<void>;
}

/** A module's own database. */
export interface Db {
  readonly databaseName: string;
  /** A handle to a collection; it is created on first write. */
  collection<T extends Document = Document>(name: string): Collection<T>;
  /** Names of the collections that exist, sorted. */
  listCollections(): Promise<string[]>;
  /** Drops a collection with its indexes; false when it did not exist. */
  dropCollection(name: string): Promise<boolean>;
}

/** Stable codes of database errors (`err.code`); the message names the collection and key. */
export type DbErrorCode =
  | 'DB_DUPLICATE_KEY'
  | 'DB_INVALID_FILTER'
  | 'DB_INVALID_UPDATE'
  | 'DB_INVALID_PIPELINE'
  | 'DB_INVALID_DOCUMENT'
  | 'DB_DOCUMENT_TOO_LARGE'
  | 'DB_INVALID_NAME'
  | 'DB_INVALID_INDEX'
  | 'DB_INDEX_NOT_FOUND'
  | 'DB_INVALID_OPTIONS'
  | 'DB_SORT_TOO_LARGE'
  | 'DB_LOOKUP_TOO_LARGE'
  | 'DB_AGGREGATION_TOO_COSTLY'
  | 'DB_EXPRESSION_TOO_LARGE'
  | 'DB_TIMEOUT'
  | 'DB_NODE_MEMORY'
  | 'DB_UNSUPPORTED'
  | 'DB_CURSOR_IN_USE'
  | 'DB_CORRUPT_JOURNAL'
  | 'DB_CORRUPT_SNAPSHOT'
  | 'DB_IO_ERROR'
  | 'DB_LOCKED'
  | 'DB_CLOSED'
  | 'DB_UNAVAILABLE'
  | 'DB_BACKEND_ERROR';
