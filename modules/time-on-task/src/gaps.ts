/**
 * Time on task: the gaps between a learner's consecutive events that are shorter than a cut-off
 * are time spent; a longer gap ends a session (the learner left). Both common cut-offs, 5 and 30
 * minutes, are reported. Events at the same instant are a gap of 0.
 */

export const CUTOFFS_MINUTES = [5, 30] as const;
const CUTOFF_MS = CUTOFFS_MINUTES.map((m) => m * 60_000);

/** Gap totals of a run of events: for each cut-off, time within sessions (ms) and session breaks. */
export interface GapTotals {
  readonly events: number;
  readonly first: number;
  readonly last: number;
  /** Per cut-off (CUTOFFS_MINUTES order): summed gaps shorter than it, ms. */
  readonly within: readonly number[];
  /** Per cut-off: gaps at least as long (each starts a new session). */
  readonly breaks: readonly number[];
}

export function addGap(totals: { within: number[]; breaks: number[] }, gap: number): void {
  CUTOFF_MS.forEach((cut, i) => {
    if (gap < cut) totals.within[i]! += gap;
    else totals.breaks[i]!++;
  });
}

/** Totals of event times (any order; sorted here). Undefined for no events. */
export function gapTotals(times: readonly number[]): GapTotals | undefined {
  if (times.length === 0) return undefined;
  const sorted = [...times].sort((a, b) => a - b);
  const acc = { within: CUTOFF_MS.map(() => 0), breaks: CUTOFF_MS.map(() => 0) };
  for (let i = 1; i < sorted.length; i++) addGap(acc, sorted[i]! - sorted[i - 1]!);
  return { events: sorted.length, first: sorted[0]!, last: sorted[sorted.length - 1]!, ...acc };
}
