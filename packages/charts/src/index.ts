/** @insights/charts: SVG charts for module views, and PNG rendering. */
export { barChartSvg } from './bar-chart.ts';
export type { BarChartOptions } from './bar-chart.ts';
export { histogramSvg, bins } from './histogram.ts';
export type { Bin } from './histogram.ts';
export { svgToPng } from './png.ts';
export { niceTicks, fmt } from './svg.ts';
