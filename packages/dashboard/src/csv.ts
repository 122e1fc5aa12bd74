import type { TableCell } from '@insights/sdk';

export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
}

/** RFC 4180 CSV: quotes fields with commas, quotes or line breaks; CRLF line ends. */
export function toCsv(t: Table): string {
  const line = (cells: readonly unknown[]) => cells.map(csvField).join(',');
  return [line(t.columns), ...t.rows.map(line)].join('\r\n') + '\r\n';
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // A cell starting with = + - @ runs as a formula when the file is opened in a spreadsheet.
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

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
