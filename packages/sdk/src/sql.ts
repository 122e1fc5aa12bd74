/**
 * Read-replica databases the operator grants a module (`ctx.sql('lms')`). The node runs every
 * statement: read-only, within the call's deadline, bounded in rows and bytes. The module never
 * sees where the database is or who the node connects as.
 */

/** A statement parameter: the driver escapes it; never build SQL text from values. */
export type SqlParam = string | number | boolean | null;

/** A row: column name to value (dates as ISO strings, 64-bit integers and decimals as strings). */
export type SqlRow = Record<string, unknown>;

export interface SqlRowsOptions {
  /** Rows per batch fetched from the node (default 500, at most 10,000). */
  readonly batchRows?: number;
}

export interface SqlClient {
  /**
   * Runs one read (`SELECT`, `WITH`, `SHOW`, `EXPLAIN`) with positional parameters (`?` for
   * MySQL/MariaDB, `$1` for PostgreSQL) and returns every row. Fails with RESOURCE_EXHAUSTED past
   * the source's `maxRows`/`maxBytes` (read it with `rows()` then), PERMISSION_DENIED for a write
   * or a source the module was not granted, DEADLINE_EXCEEDED past the call's deadline.
   */
  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Streams a large result row by row, fetched in batches; stop early with `break`. */
  rows<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[], options?: SqlRowsOptions): AsyncIterable<T>;
}

/**
 * One statement as it travels from module code (possibly across the sandbox channel) to the node
 * that runs it. For sibling packages (runtime, sql), exported from `./internal`.
 */
export interface SqlRequest {
  readonly source: string;
  readonly text: string;
  readonly params: readonly unknown[];
  /** `all`: every row at once, bounded by maxRows/maxBytes; `stream`: batches, bounded by maxStreamedRows. */
  readonly mode: 'all' | 'stream';
  readonly batchRows?: number | undefined;
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}
