import type { TableCell } from '@insights/sdk';

/** Rows under named columns: a table view, or a query result made into one. */
export interface CsvTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
}

/**
 * First characters that make a spreadsheet run a text cell as a formula (OWASP, "CSV
 * Injection"): `=`, `+`, `-`, `@`, tab and carriage return.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180 CSV (fields with commas, quotes or line breaks quoted; CRLF line ends) whose text
 * cells cannot run as formulas: one that starts like a formula gets a leading `'`. The one CSV
 * writer of the node (`?_format=csv`), the CLI (`insights call --csv`) and the dashboard.
 */
export function toCsv(t: CsvTable): string {
  const line = (cells: readonly unknown[]) => cells.map(csvField).join(',');
  return [line(t.columns), ...t.rows.map(line)].join('\r\n') + '\r\n';
}

/** A text cell as a spreadsheet should show it: as text, never as a formula. Numbers and booleans stay. */
export function neutraliseFormula(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s =
    typeof v === 'string' ? neutraliseFormula(v) : typeof v === 'object' ? neutraliseFormula(JSON.stringify(v)) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
