/** Shared pieces of the conformance suite. */
import type { Db, DbErrorCode } from '@insights/sdk';
import { expect } from 'vitest';
import { isDbError, type DbError } from './errors.ts';

export interface OpenedDb {
  db: Db;
  close(): Promise<void>;
}

/** Gives each test its database (set in beforeEach). */
export type DbGetter = () => Db;

/** Awaits `action` and asserts it fails with a DbError of `code`; returns the error. */
export async function expectDbError(action: Promise<unknown> | (() => unknown), code: DbErrorCode): Promise<DbError> {
  let caught: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a ${code} error`).toBeDefined();
  expect(isDbError(caught) ? caught.code : caught).toBe(code);
  return caught as DbError;
}
