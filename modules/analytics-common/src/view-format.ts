/**
 * One view per analytic, in the format the caller asks for: the chart as SVG (browsers,
 * dashboards), the same chart as PNG (reports, e-mail), or the data as a table (what the CLI and
 * dashboards show, and export as CSV).
 */
import { svgToPng } from '@insights/charts';
import { png, svg, tableFromRecords, z, type ViewResult } from '@insights/sdk';

export const VIEW_FORMATS = ['svg', 'png', 'table'] as const;
export type ViewFormat = (typeof VIEW_FORMATS)[number];

/** The `format` parameter every standard view declares. */
export function formatParam(defaultFormat: ViewFormat = 'svg') {
  return z.enum(VIEW_FORMATS).default(defaultFormat).describe('svg or png: the chart; table: the data behind it');
}

export interface ChartViewInput {
  /** Renders the chart; only called for svg and png. */
  readonly chart: () => string;
  /** The records the chart shows, for `table` (plain objects: interfaces of result rows fit too). */
  readonly records: readonly object[];
  readonly title: string;
}

export function chartView(format: ViewFormat, input: ChartViewInput): ViewResult {
  switch (format) {
    case 'svg':
      return svg(input.chart());
    case 'png':
      return png(svgToPng(input.chart()));
    case 'table':
      return tableFromRecords(input.records as readonly Record<string, unknown>[], input.title);
  }
}
