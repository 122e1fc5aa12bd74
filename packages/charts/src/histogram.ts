import { barChartSvg, type BarChartOptions } from './bar-chart.ts';
import { fmt } from './svg.ts';

export interface Bin {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** Counts values into `binCount` equal-width bins over [min, max] (the last bin includes max). */
export function bins(values: readonly number[], binCount = 10, range?: { min: number; max: number }): Bin[] {
  const finite = values.filter(Number.isFinite);
  const min = range?.min ?? Math.min(...finite, 0);
  const max = range?.max ?? Math.max(...finite, min + 1);
  const width = (max - min) / binCount || 1;
  const out = Array.from({ length: binCount }, (_, i) => ({ from: min + i * width, to: min + (i + 1) * width, count: 0 }));
  for (const v of finite) {
    const i = Math.min(binCount - 1, Math.max(0, Math.floor((v - min) / width)));
    (out[i] as { count: number }).count++;
  }
  return out;
}

/** A histogram as SVG: bins of values, bars labelled with their ranges. */
export function histogramSvg(
  values: readonly number[],
  options: BarChartOptions & { binCount?: number; range?: { min: number; max: number } } = {},
): string {
  const b = bins(values, options.binCount ?? 10, options.range);
  return barChartSvg(
    b.map((x) => `${fmt(x.from)}–${fmt(x.to)}`),
    b.map((x) => x.count),
    { yLabel: 'count', ...options },
  );
}
