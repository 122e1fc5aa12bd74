/**
 * Driver and server errors -> DbError. Decided by the numeric server `code` and the driver error
 * `name` (never by message text, and not by `instanceof`: the driver may be bundled twice); the
 * message only lends display details.
 */
import type { DbErrorCode } from '@insights/sdk';
import { DbError, isDbError, messageOf } from './errors.ts';

/** What the failing operation was doing; decides the code for bad-input errors. */
export type MongoOp = 'read' | 'insert' | 'update' | 'aggregate' | 'index' | 'admin';

const DUPLICATE_KEY = new Set([11000, 11001, 12582]);
const TOO_LARGE = new Set([10334, 17419, 17420]);
const INDEX_INVALID = new Set([67, 85, 86, 197]);
const INDEX_NOT_FOUND = 27;
/** QueryExceededMemoryLimitNoDiskUseAllowed: a blocking sort over the server's memory limit. */
const SORT_TOO_LARGE = 292;
const INVALID_NAMESPACE = 73;
/** The credentials were refused: a configuration problem (db.users / db.provision), not the request's. */
const AUTHENTICATION_FAILED = 18;
/** Server codes meaning "the request itself is malformed" (plus every parser code >= 10000). */
const BAD_INPUT = new Set([2, 4, 9, 14, 15, 16, 17, 28, 40, 52, 55, 56, 57, 66, 72, 168, 224]);
const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoOperationTimeoutError',
]);

const BAD_INPUT_CODE: Record<MongoOp, DbErrorCode> = {
  read: 'DB_INVALID_FILTER',
  insert: 'DB_INVALID_DOCUMENT',
  update: 'DB_INVALID_UPDATE',
  aggregate: 'DB_INVALID_PIPELINE',
  index: 'DB_INVALID_INDEX',
  admin: 'DB_BACKEND_ERROR',
};

interface DriverErrorShape {
  name?: unknown;
  code?: unknown;
  keyValue?: unknown;
  writeErrors?: { err?: { keyValue?: unknown; errmsg?: unknown; code?: unknown } }[];
  errorResponse?: { keyValue?: unknown };
  result?: { insertedCount?: unknown };
}

function firstCode(e: DriverErrorShape): number | undefined {
  if (typeof e.code === 'number') return e.code;
  const inner = e.writeErrors?.[0]?.err?.code;
  return typeof inner === 'number' ? inner : undefined;
}

/** Maps anything the driver throws to a DbError naming the namespace. */
export function mapMongoError(err: unknown, op: MongoOp, ns: string): DbError {
  if (isDbError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as DriverErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = firstCode(e);
  const msg = messageOf(err);
  const fields = { namespace: ns, cause: err };

  if (code !== undefined && DUPLICATE_KEY.has(code)) {
    const key = e.keyValue ?? e.writeErrors?.[0]?.err?.keyValue ?? e.errorResponse?.keyValue;
    const index = /index: (\S+)/.exec(msg)?.[1];
    const inserted = typeof e.result?.insertedCount === 'number' ? ` (${e.result.insertedCount} documents were inserted)` : '';
    return new DbError(
      'DB_DUPLICATE_KEY',
      `Duplicate key in ${ns}${index ? `: unique index "${index}"` : ''} already has ${JSON.stringify(key ?? null)}${inserted}.`,
      { ...fields, index, key },
    );
  }
  if (UNAVAILABLE_NAMES.has(name)) return new DbError('DB_UNAVAILABLE', `MongoDB is unavailable (${ns}): ${msg}`, fields);
  if (name === 'MongoCursorInUseError')
    return new DbError('DB_CURSOR_IN_USE', `Cursor on ${ns} is already in use: ${msg}`, fields);
  if (name === 'MongoInvalidArgumentError') return new DbError(BAD_INPUT_CODE[op], `Invalid request on ${ns}: ${msg}`, fields);
  if (code !== undefined) {
    if (code === SORT_TOO_LARGE)
      return new DbError('DB_SORT_TOO_LARGE', `Sort too large for ${ns}: ${msg}; index the sort field or add a limit`, fields);
    if (TOO_LARGE.has(code)) return new DbError('DB_DOCUMENT_TOO_LARGE', `Document too large for ${ns}: ${msg}`, fields);
    if (code === INDEX_NOT_FOUND) return new DbError('DB_INDEX_NOT_FOUND', `Index not found on ${ns}: ${msg}`, fields);
    if (INDEX_INVALID.has(code)) return new DbError('DB_INVALID_INDEX', `Index conflict on ${ns}: ${msg}`, fields);
    if (code === INVALID_NAMESPACE) return new DbError('DB_INVALID_NAME', `Invalid name ${ns}: ${msg}`, fields);
    if (code === AUTHENTICATION_FAILED) {
      return new DbError(
        'DB_INVALID_OPTIONS',
        `MongoDB refused the credentials used for ${ns}: check db.users or db.provision (${msg}).`,
        fields,
      );
    }
    if (BAD_INPUT.has(code) || code >= 10000) {
      return new DbError(BAD_INPUT_CODE[op], `MongoDB rejected the request on ${ns} (code ${code}): ${msg}`, fields);
    }
  }
  return new DbError('DB_BACKEND_ERROR', `MongoDB error on ${ns}${code === undefined ? '' : ` (code ${code})`}: ${msg}`, fields);
}

/** Runs a driver call and maps what it throws. */
export async function mongoCall<R>(op: MongoOp, ns: string, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    throw mapMongoError(err, op, ns);
  }
}
