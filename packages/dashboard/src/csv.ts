import type { TableCell } from '@insights/sdk';
import type { CsvTable } from '@insights/wire';

/** Rows under named columns. The CSV writer is @insights/wire's toCsv, shared with the node and the CLI. */
export type Table = CsvTable;

/**
 * A query result as a table, if it is one: an array of records (columns = their keys), an array
 * of arrays, or an array of plain values. Anything else is shown as JSON instead.
 */
export function asTable(value: unknown): Table | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (value.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
    const columns = [...new Set(value.flatMap((r) => Object.keys(r as object)))];
    return { columns, rows: value.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c]))) };
  }
  if (value.every(Array.isArray)) {
    const width = Math.max(0, ...value.map((r) => (r as unknown[]).length));
    return { columns: Array.from({ length: width }, (_, i) => `c${i + 1}`), rows: value.map((r) => (r as unknown[]).map(cell)) };
  }
  if (value.every((v) => v === null || typeof v !== 'object')) return { columns: ['value'], rows: value.map((v) => [cell(v)]) };
  return undefined;
}

function cell(v: unknown): TableCell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}
