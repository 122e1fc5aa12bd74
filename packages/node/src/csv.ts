import type { TableCell } from '@insights/sdk';

// The CSV writer itself is @insights/wire's toCsv (formula cells neutralised), shared with the CLI and dashboard.

/** A query result as a table: arrays of records by their keys, arrays of arrays as rows, else one cell. */
export function recordsToTable(value: unknown): { columns: string[]; rows: TableCell[][] } {
  const rows = Array.isArray(value) ? value : [value];
  if (rows.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
    return { columns, rows: rows.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c]))) };
  }
  if (rows.every(Array.isArray)) {
    const width = Math.max(0, ...rows.map((r) => (r as unknown[]).length));
    return { columns: Array.from({ length: width }, (_, i) => `c${i + 1}`), rows: rows.map((r) => (r as unknown[]).map(cell)) };
  }
  return { columns: ['value'], rows: rows.map((r) => [cell(r)]) };
}

function cell(v: unknown): TableCell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}
