/**
 * Database errors: one class with a stable `code` (see `DbErrorCode` in the SDK) and structured
 * fields. Check `code` with `isDbError`, never `instanceof` alone.
 */
import type { DbErrorCode } from '@insights/sdk';

/** Every code, with what a person should do about it. A test keeps this list complete. */
export const DB_ERROR_CODES = {
  DB_DUPLICATE_KEY: 'a unique index (or _id) already holds this key; use another key or update instead',
  DB_INVALID_FILTER: 'the query filter is malformed or uses an unknown operator',
  DB_INVALID_UPDATE: 'the update document is malformed (operators only; replaceOne for whole documents)',
  DB_INVALID_PIPELINE: 'an aggregation stage is malformed or unknown',
  DB_INVALID_DOCUMENT: 'the document holds a value or field name that cannot be stored',
  DB_DOCUMENT_TOO_LARGE: 'the document exceeds the 16 MiB limit',
  DB_INVALID_NAME: 'a module or collection name is not allowed',
  DB_INVALID_INDEX: 'the index specification is malformed or conflicts with an existing index',
  DB_INDEX_NOT_FOUND: 'no index has this name',
  DB_INVALID_OPTIONS: 'provider or operation options are invalid',
  DB_SORT_TOO_LARGE: 'a sort no index answers would hold too much in memory; index the sort field or add a limit',
  DB_LOOKUP_TOO_LARGE:
    'a stage would hold too much of another collection in memory; use $lookup with localField/foreignField and an index on foreignField, or narrow the input first',
  DB_AGGREGATION_TOO_COSTLY:
    'an aggregation that holds its input ($group, $sort, ...) ran past the time or memory of the aggregation worker, or returned too much; $match its input on an indexed field first',
  DB_EXPRESSION_TOO_LARGE:
    'an expression would build a value over the limits of module queries (query-limits.ts); build smaller values or do the work in module code',
  DB_TIMEOUT: 'the operation ran longer than the node allows one database operation (query-limits.ts); narrow it or index it',
  DB_NODE_MEMORY:
    "the node's heap was nearly full while the operation ran, and it was stopped to keep the node up; hold less (narrower $match, fewer documents into $group/$sort)",
  DB_UNSUPPORTED: 'the embedded engine does not support this; use the MongoDB backend',
  DB_CURSOR_IN_USE: 'a cursor was modified or read after reading started',
  DB_CORRUPT_JOURNAL: 'a journal file is damaged before its last line; restore it from a backup',
  DB_CORRUPT_SNAPSHOT: 'a snapshot file is damaged; restore it from a backup',
  DB_IO_ERROR: 'a disk read or write failed; the collection refuses writes until reopened',
  DB_LOCKED: 'another process (or provider) has this embedded database open; close it first',
  DB_CLOSED: 'the database provider was closed',
  DB_UNAVAILABLE: 'the MongoDB server cannot be reached',
  DB_BACKEND_ERROR: 'MongoDB rejected the operation',
} as const satisfies Record<DbErrorCode, string>;

export interface DbErrorFields {
  /** `<database>.<collection>` involved, when there is one. */
  namespace?: string | undefined;
  /** Unique index name (DB_DUPLICATE_KEY). */
  index?: string | undefined;
  /** The offending key value (DB_DUPLICATE_KEY), as given. */
  key?: unknown;
  /** Field path at fault (DB_INVALID_DOCUMENT). */
  path?: string | undefined;
  /** File involved (DB_CORRUPT_*, DB_IO_ERROR). */
  file?: string | undefined;
  cause?: unknown;
}

export class DbError extends Error {
  override readonly name = 'DbError';
  readonly code: DbErrorCode;
  readonly namespace: string | undefined;
  readonly index: string | undefined;
  readonly key: unknown;
  readonly path: string | undefined;
  readonly file: string | undefined;

  constructor(code: DbErrorCode, message: string, fields: DbErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.namespace = fields.namespace;
    this.index = fields.index;
    this.key = fields.key;
    this.path = fields.path;
    this.file = fields.file;
  }
}

export function isDbErrorCode(code: unknown): code is DbErrorCode {
  return typeof code === 'string' && Object.hasOwn(DB_ERROR_CODES, code);
}

/** True for a DbError (from any copy of this package), optionally with the given code. */
export function isDbError(err: unknown, code?: DbErrorCode): err is DbError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === 'DbError' && isDbErrorCode(e.code) && (code === undefined || e.code === code);
}

/** The message of any thrown value, for wrapping. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
