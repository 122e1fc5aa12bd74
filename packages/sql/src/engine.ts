/**
 * One database server behind a pool. The node runs every statement itself (sandboxes have no
 * network): inside a read-only transaction, with a statement timeout, read in batches so a large
 * result never sits in memory whole, and cancelled on the server when the caller goes away.
 */
import type { SqlLimits } from './limits.ts';

/** Values a parameter may take: the drivers escape them, the text never holds them. */
export type SqlParam = string | number | boolean | null;

/** A row as modules receive it: column name to JSON value (dates as ISO strings, big numbers as strings). */
export type SqlRow = Record<string, unknown>;

export interface SqlStatement {
  readonly text: string;
  readonly params: readonly SqlParam[];
  /** Absolute deadline (epoch ms): the statement is cancelled on the server at it. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
  /** Rows per batch handed to the reader. */
  readonly batchRows: number;
}

export interface SqlEngine {
  readonly kind: 'mysql' | 'postgres';
  /**
   * Runs one statement read-only and yields its rows in batches. Breaking out of the loop (or an
   * error, the deadline, the signal) stops the statement on the server and frees the connection.
   */
  batches(statement: SqlStatement, limits: SqlLimits): AsyncGenerator<SqlRow[], void, undefined>;
  close(): Promise<void>;
}

/** Converts driver values to what JSON carries unchanged. */
export function jsonRow(row: Record<string, unknown>): SqlRow {
  for (const k in row) {
    const v = row[k];
    if (v instanceof Date) row[k] = Number.isNaN(v.getTime()) ? null : v.toISOString();
    else if (typeof v === 'bigint') row[k] = v.toString();
    else if (Buffer.isBuffer(v)) row[k] = v.toString('base64');
  }
  return row;
}

/** Milliseconds the statement may run: the earlier of the caller's deadline and the source's limit. */
export function statementBudgetMs(s: SqlStatement, limits: SqlLimits): number {
  return Math.max(1, Math.min(limits.statementTimeoutMs, s.deadline - Date.now()));
}
