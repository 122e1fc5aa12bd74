/**
 * Database operations a sandbox asks its host to run (`ctx.db` inside a sandbox is remote-db.ts;
 * the host runs them with db-broker.ts on the module's own database). No operation names a
 * database: the host opens the one of the module's checked name, so a module cannot reach another.
 */

/** Collection methods that answer with one value (cursors have their own operations). */
export const COLLECTION_METHODS = [
  'insertOne',
  'insertMany',
  'findOne',
  'countDocuments',
  'estimatedDocumentCount',
  'distinct',
  'updateOne',
  'updateMany',
  'replaceOne',
  'findOneAndUpdate',
  'findOneAndDelete',
  'deleteOne',
  'deleteMany',
  'createIndex',
  'listIndexes',
  'dropIndex',
] as const;

export type CollectionMethod = (typeof COLLECTION_METHODS)[number];

export type DbOperation =
  | { readonly op: 'call'; readonly collection: string; readonly method: CollectionMethod; readonly args: readonly unknown[] }
  | { readonly op: 'list-collections' }
  | { readonly op: 'drop-collection'; readonly collection: string }
  /** Opens a cursor and answers its first batch (a `CursorBatch`). */
  | {
      readonly op: 'find';
      readonly collection: string;
      readonly filter: unknown;
      readonly options: Record<string, unknown>;
      readonly batch: number;
    }
  | { readonly op: 'aggregate'; readonly collection: string; readonly pipeline: readonly unknown[]; readonly batch: number }
  /** The next batch of an open cursor. */
  | { readonly op: 'more'; readonly cursor: number; readonly batch: number }
  | { readonly op: 'close-cursor'; readonly cursor: number };

/** A batch of a cursor's documents; `cursor` is absent once the host has closed it (no more documents). */
export interface CursorBatch {
  readonly docs: readonly unknown[];
  readonly cursor?: number | undefined;
}

/** Batch sizes: small first (a `findOne`-like loop), large when reading everything (toArray). */
export const FIRST_BATCH = 101;
export const NEXT_BATCH = 1000;
/** The host never hands out more per answer. */
export const MAX_BATCH = 5000;
