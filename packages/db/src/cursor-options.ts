/** Checks shared by both engines' cursors. */
import { DbError } from './errors.ts';

/** skip()/limit() arguments: non-negative integers (0 = no limit), on both engines. */
export function checkCount(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new DbError('DB_INVALID_OPTIONS', `${what}() needs a non-negative integer, got ${String(n)}.`);
  }
  return n;
}
