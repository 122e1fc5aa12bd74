/** Charts of one video: learners and views per 5-second segment; learners and watches per second (xAPI). */
import { barChartSvg } from '@insights/charts';
import type { WatchedSegmentRow } from './rows.ts';
import type { SegmentRow } from './timeline.ts';

export function timelineSvg(video: string, segments: readonly SegmentRow[]): string {
  return barChartSvg(
    segments.map((s) => `${s.start_second}s`),
    [],
    {
      title: `Video timeline: ${video}`,
      xLabel: 'segment start (5-second segments)',
      yLabel: 'count',
      width: Math.max(640, 24 * segments.length),
      series: [
        { name: 'learners', values: segments.map((s) => s.learners) },
        { name: 'views', values: segments.map((s) => s.views) },
      ],
    },
  );
}

/** Per second of the video: how many learners watched it, and how many times in all. */
export interface SecondRecord {
  readonly second: number;
  readonly learners: number;
  readonly watch_count: number;
}

export function perSecond(rows: readonly WatchedSegmentRow[]): SecondRecord[] {
  const seconds = new Map<number, { learners: Set<string>; watch_count: number }>();
  for (const r of rows) {
    let s = seconds.get(r.segment);
    if (s === undefined) seconds.set(r.segment, (s = { learners: new Set(), watch_count: 0 }));
    s.learners.add(r.learner);
    s.watch_count += r.watch_count;
  }
  return [...seconds.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, s]) => ({ second, learners: s.learners.size, watch_count: s.watch_count }));
}

export function watchedSvg(video: string, records: readonly SecondRecord[]): string {
  return barChartSvg(
    records.map((r) => String(r.second)),
    [],
    {
      title: `Seconds watched: ${video}`,
      xLabel: 'second of the video',
      yLabel: 'count',
      width: Math.max(640, Math.min(4000, 6 * records.length)),
      series: [
        { name: 'learners', values: records.map((r) => r.learners) },
        { name: 'watches', values: records.map((r) => r.watch_count) },
      ],
    },
  );
}
