/**
 * What one statement may return. A replica is shared with the LMS itself, so a module's query is
 * bounded in time (within the caller's deadline), rows and bytes; streaming (`rows()`) lifts the
 * row limit for results read batch by batch, never the time limit.
 */
import { InsightsError } from '@insights/sdk';

export interface SqlLimits {
  /** Rows a materialised query (`query()`) may return. */
  readonly maxRows: number;
  /** Bytes (estimated from the values) a materialised query may return. */
  readonly maxBytes: number;
  /** Rows a streamed query (`rows()`) may return in all. */
  readonly maxStreamedRows: number;
  /** Longest a statement may run, whatever the caller's deadline. */
  readonly statementTimeoutMs: number;
}

export const SQL_LIMIT_DEFAULTS: SqlLimits = Object.freeze({
  maxRows: 10_000,
  maxBytes: 16 * 1024 * 1024,
  maxStreamedRows: 1_000_000,
  statementTimeoutMs: 30_000,
});

/** Estimated size of a row as its values would travel (JSON-ish): enough to bound memory. */
export function rowBytes(row: Readonly<Record<string, unknown>>): number {
  let n = 2;
  for (const k in row) n += k.length + 4 + valueBytes(row[k]);
  return n;
}

function valueBytes(v: unknown): number {
  if (v === null || v === undefined) return 4;
  if (typeof v === 'string') return Buffer.byteLength(v) + 2;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return 8;
  if (Buffer.isBuffer(v)) return v.length;
  return Buffer.byteLength(JSON.stringify(v) ?? '');
}

/** Counts what a statement returned so far and refuses the row that crosses a limit. */
export class RowBudget {
  #rows = 0;
  #bytes = 0;

  constructor(
    private readonly source: string,
    private readonly maxRows: number,
    private readonly maxBytes: number,
    private readonly rowLimitName: 'maxRows' | 'maxStreamedRows',
  ) {}

  take(row: Readonly<Record<string, unknown>>): void {
    this.#rows++;
    if (this.#rows > this.maxRows)
      throw new InsightsError(
        'RESOURCE_EXHAUSTED',
        `sql source "${this.source}": the result has more than ${this.maxRows} rows (limit ${this.rowLimitName}); ` +
          (this.rowLimitName === 'maxRows'
            ? 'narrow the query, add LIMIT, or read it in batches with rows()'
            : 'narrow the query or add LIMIT'),
      );
    this.#bytes += rowBytes(row);
    if (this.#bytes > this.maxBytes)
      throw new InsightsError(
        'RESOURCE_EXHAUSTED',
        `sql source "${this.source}": the result is larger than ${this.maxBytes} bytes (limit maxBytes); select fewer columns or rows, or read it in batches with rows()`,
      );
  }

  /** Streaming bounds memory by batch, not by total: the byte count restarts each batch. */
  nextBatch(): void {
    this.#bytes = 0;
  }
}
