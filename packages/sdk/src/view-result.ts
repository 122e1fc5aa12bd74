/**
 * What a view returns: something a person looks at. A discriminated union on `type`, so the
 * dashboard, the wire codec and the client each switch over it exhaustively.
 */
export type ViewResult = HtmlResult | SvgResult | PngResult | TableResult | VegaLiteResult;

export interface HtmlResult {
  readonly type: 'html';
  readonly html: string;
}
export interface SvgResult {
  readonly type: 'svg';
  readonly svg: string;
}
export interface PngResult {
  readonly type: 'png';
  readonly data: Uint8Array;
}
export type TableCell = string | number | boolean | null;
export interface TableResult {
  readonly type: 'table';
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
  readonly title?: string;
}
export interface VegaLiteResult {
  readonly type: 'vega-lite';
  /** A Vega-Lite specification (https://vega.github.io/vega-lite/) with its data inline. */
  readonly spec: Record<string, unknown>;
}

export const html = (markup: string): HtmlResult => ({ type: 'html', html: markup });
export const svg = (markup: string): SvgResult => ({ type: 'svg', svg: markup });
export const png = (data: Uint8Array): PngResult => ({ type: 'png', data });
export const table = (columns: readonly string[], rows: readonly (readonly TableCell[])[], title?: string): TableResult => ({
  type: 'table',
  columns,
  rows,
  ...(title === undefined ? {} : { title }),
});
export const vegaLite = (spec: Record<string, unknown>): VegaLiteResult => ({ type: 'vega-lite', spec });

/** Records (arrays of objects with the same keys) as a table, for views and CSV export. */
export function tableFromRecords(records: readonly object[], title?: string): TableResult {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of records)
    for (const k of Object.keys(r))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  const rows = records.map((r) => columns.map((c) => toCell((r as Record<string, unknown>)[c])));
  return table(columns, rows, title);
}

function toCell(v: unknown): TableCell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

export function isViewResult(v: unknown): v is ViewResult {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'html' || t === 'svg' || t === 'png' || t === 'table' || t === 'vega-lite';
}
