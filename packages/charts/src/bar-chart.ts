import { esc, FONT, fmt, niceTicks, PALETTE } from './svg.ts';

export interface BarChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Several series draw grouped bars; their names go in a legend. */
  series?: readonly { name: string; values: readonly number[] }[];
}

/**
 * A labelled bar chart as a standalone SVG document (one series, or grouped bars for several).
 * Text uses common fonts so it renders the same in browsers and when rasterised to PNG.
 */
export function barChartSvg(labels: readonly string[], values: readonly number[], options: BarChartOptions = {}): string {
  const series = options.series ?? [{ name: '', values }];
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const margin = { top: options.title ? 40 : 16, right: 16, bottom: 56, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] ?? 1;
  const y = (v: number) => margin.top + plotH - (v / top) * plotH;
  const groupW = plotW / Math.max(1, labels.length);
  const barW = (groupW * 0.8) / series.length;
  const labelEvery = Math.max(1, Math.ceil(labels.length / Math.floor(plotW / 48)));

  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  if (options.title)
    parts.push(
      `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(options.title)}</text>`,
    );
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${ty}" dy="4" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  series.forEach((s, si) => {
    labels.forEach((_, i) => {
      const v = s.values[i] ?? 0;
      const x = margin.left + i * groupW + groupW * 0.1 + si * barW;
      const h = Math.max(0, (v / top) * plotH);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(margin.top + plotH - h).toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${s.name ? `${s.name} ` : ''}${labels[i] ?? ''}: ${fmt(v)}`)}</title></rect>`,
      );
    });
  });
  labels.forEach((l, i) => {
    if (i % labelEvery !== 0) return;
    const x = margin.left + i * groupW + groupW / 2;
    parts.push(`<text x="${x.toFixed(1)}" y="${margin.top + plotH + 16}" text-anchor="middle" font-size="11">${esc(l)}</text>`);
  });
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
  );
  if (options.xLabel)
    parts.push(
      `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle" font-size="12">${esc(options.xLabel)}</text>`,
    );
  if (options.yLabel)
    parts.push(
      `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(options.yLabel)}</text>`,
    );
  if (series.length > 1)
    series.forEach((s, si) => {
      const lx = margin.left + 8 + si * 130;
      parts.push(`<rect x="${lx}" y="${margin.top - 14}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`);
      parts.push(`<text x="${lx + 14}" y="${margin.top - 5}" font-size="11">${esc(s.name)}</text>`);
    });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img" aria-label="${esc(options.title ?? 'bar chart')}">${parts.join('')}</svg>`;
}
