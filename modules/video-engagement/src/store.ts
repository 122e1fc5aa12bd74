/**
 * Realtime state: one event log per (course, video, learner), for edX player events and for
 * xAPI statements, each with what is derived from it (viewings; watched seconds). A learner's
 * result depends on the order of their events, so it is recomputed from their log whatever order
 * events arrive in; events are kept by id, so redelivery changes nothing (no `seen` collection).
 * Queries fold the per-learner results of a video.
 */
import { appendToEventLogs, docId, groupBy, type EventLogDoc } from '@insights/analytics-common';
import type { Db, Document, EventEnvelope } from '@insights/sdk';
import { playerEvent, type PlayerEvent, type PlayerEventOf } from './edx-video-event.ts';
import { matches, sortTimelines, sortWatched, type VideoFilter, type WatchedSegmentRow } from './rows.ts';
import { videoTimeline, type VideoTimeline } from './timeline.ts';
import { viewingsOf, type Viewing } from './viewings.ts';
import { watchedSeconds, type WatchedSecond } from './watched-segments.ts';
import { playbackEvent, type PlaybackEvent, type PlaybackEventOf } from './xapi-video-event.ts';

export const PLAYER_LOGS = 'player_logs';
export const XAPI_LOGS = 'xapi_logs';

interface KeyFields {
  course: string;
  video: string;
  learner: string;
}

async function append<E extends KeyFields & { id: string }, S extends { id: string }, D>(
  db: Db,
  collection: string,
  events: readonly (E | undefined)[],
  strip: (e: E) => S,
  derive: (all: readonly S[]) => D,
): Promise<void> {
  const c = db.collection(collection);
  const defined = events.filter((e): e is E => e !== undefined);
  const logs = [...groupBy(defined, (e) => docId([e.course, e.video, e.learner])).values()].map((own) => {
    const { course, video, learner } = own[0]!;
    return { id: docId([course, video, learner]), fields: { course, video, learner }, events: own.map(strip) };
  });
  await appendToEventLogs(c, logs, derive);
}

const stripPlayer = ({ id, t, type, pos, old, duration }: PlayerEventOf): PlayerEvent => ({ id, t, type, pos, old, duration });
const stripPlayback = ({ id, t, start, pos, duration }: PlaybackEventOf): PlaybackEvent => ({ id, t, start, pos, duration });

export function recordPlayerEvents(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  return append(db, PLAYER_LOGS, events.map(playerEvent), stripPlayer, viewingsOf);
}

export function recordPlaybackEvents(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  return append(db, XAPI_LOGS, events.map(playbackEvent), stripPlayback, watchedSeconds);
}

function keyFilter(f: VideoFilter): Document {
  const q: Document = {};
  if (f.course !== undefined) q['course'] = f.course;
  if (f.video !== undefined) q['video'] = f.video;
  if (f.learner !== undefined) q['learner'] = f.learner;
  return q;
}

type Stored<D> = KeyFields & Pick<EventLogDoc<never, D>, 'derived'>;

async function derivedOf<D>(db: Db, collection: string, filter: VideoFilter): Promise<Stored<D>[]> {
  // The logs themselves stay on the server: only the derived results are read.
  return (await db
    .collection(collection)
    .find(keyFilter(filter), { projection: { events: 0 } })
    .toArray()) as unknown as Stored<D>[];
}

export async function readVideoTimelines(db: Db, filter: VideoFilter = {}): Promise<VideoTimeline[]> {
  const docs = await derivedOf<Viewing[]>(db, PLAYER_LOGS, { course: filter.course, video: filter.video });
  const out: VideoTimeline[] = [];
  for (const perVideo of groupBy(docs, (d) => JSON.stringify([d.course, d.video])).values()) {
    const t = videoTimeline(perVideo[0]!.course, perVideo[0]!.video, new Map(perVideo.map((d) => [d.learner, d.derived])));
    if (t !== undefined) out.push(t);
  }
  return sortTimelines(out);
}

export async function readWatchedSegments(db: Db, filter: VideoFilter = {}): Promise<WatchedSegmentRow[]> {
  const rows: WatchedSegmentRow[] = [];
  for (const d of await derivedOf<WatchedSecond[]>(db, XAPI_LOGS, filter))
    if (matches(filter, d.course, d.video, d.learner))
      for (const w of d.derived)
        rows.push({
          course: d.course,
          video: d.video,
          learner: d.learner,
          video_duration: w.duration,
          segment: w.segment,
          watch_count: w.count,
        });
  return sortWatched(rows);
}
