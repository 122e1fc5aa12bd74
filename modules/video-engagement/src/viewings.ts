/**
 * A learner's viewings of one video: each play paired with the pause, stop or seek that ended it
 * (UserVideoViewingTask.reducer in the edX pipeline). A play right after a seek starts where the
 * seek landed (players often report the pre-seek time). Viewings are dropped when they end past
 * the known duration + 1 s, end before they start, or last under 0.25 s.
 */
import type { PlayerEvent } from './edx-video-event.ts';
import { UNKNOWN_DURATION } from './edx-video-event.ts';

export const MIN_VIEWING_SECONDS = 0.25;

export interface Viewing {
  readonly start: number;
  readonly end: number;
  /** Duration the play event reported (UNKNOWN_DURATION when it did not). */
  readonly duration: number;
}

/** Time, then type name (as the pipeline's tuple sort), then the remaining fields and id for a total order. */
function compare(a: PlayerEvent, b: PlayerEvent): number {
  return (
    a.t - b.t ||
    (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) ||
    a.pos - b.pos ||
    (a.old ?? -1) - (b.old ?? -1) ||
    a.duration - b.duration ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export function viewingsOf(events: readonly PlayerEvent[]): Viewing[] {
  const out: Viewing[] = [];
  let open: Viewing | null = null;
  let lastEnd: PlayerEvent | null = null;
  for (const e of [...events].sort(compare)) {
    if (e.type === 'play_video') {
      open = { start: lastEnd?.type === 'seek_video' ? lastEnd.pos : e.pos, end: NaN, duration: e.duration };
      lastEnd = null;
      continue;
    }
    if (open === null) continue; // a pause or seek outside a viewing
    const end = e.type === 'seek_video' ? e.old! : e.pos;
    const pastEnd = open.duration !== UNKNOWN_DURATION && end > open.duration + 1;
    if (!pastEnd && end >= open.start && end - open.start >= MIN_VIEWING_SECONDS) out.push({ ...open, end });
    open = null;
    lastEnd = e;
  }
  return out;
}
