/** Test data: the shared real logs beside the repository, envelopes from raw events, orderings. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalise, readTrackingLog, tryNormalise } from '@insights/module-edx/lib';
import type { EventEnvelope } from '@insights/sdk';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** `../shared/data` relative to the repository root; never copied into the repository. */
export const REAL_DATA = path.resolve(repoRoot, '../shared/data');
/** INSIGHTS_SKIP_REAL_DATA=1 runs the tests as on a machine without the folder. */
export const HAS_REAL_DATA = process.env['INSIGHTS_SKIP_REAL_DATA'] !== '1' && existsSync(REAL_DATA);
export const NO_REAL_DATA_MESSAGE = `real data folder ${REAL_DATA} is absent: real-data tests skipped`;

/** Every event of a tracking log under REAL_DATA that normalises, in file order. */
export async function readLogEnvelopes(relativePath: string): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const line of readTrackingLog(path.join(REAL_DATA, relativePath))) {
    if (line.kind !== 'event') continue;
    const r = tryNormalise(line.event);
    if (r.ok) out.push(r.envelope);
  }
  return out;
}

/** The raw events (parsed JSON objects) of a tracking log under REAL_DATA, for `mesh.events.ingest`. */
export async function readLogRaw(relativePath: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const line of readTrackingLog(path.join(REAL_DATA, relativePath))) if (line.kind === 'event') out.push(line.event);
  return out;
}

/** The tracking logs of edx-tracking/ (all 12), for analytics computed over everything. */
export const EDX_TRACKING_LOGS = [
  'answer_dist_acceptance_tracking.log',
  'enrollment_trends_tracking.log',
  'event_export_tracking.log',
  'location_by_course_tracking.log',
  'module_engagement_acceptance_tracking_20150413.log',
  'module_engagement_acceptance_tracking_20150416.log',
  'obfuscation_tracking.log',
  'problem_response_tracking.log',
  'student_engagement_acceptance_tracking.log',
  'student_forum_activity.log',
  'user_activity_tracking.log',
  'video_timeline.log',
].map((f) => `edx-tracking/${f}`);

/** Envelopes of raw events built in a test (throws on events that do not normalise). */
export function envelopes(raws: readonly unknown[]): EventEnvelope[] {
  return raws.map((r) => normalise(r));
}

/** mulberry32: the same "random" order on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shuffled copy (Fisher-Yates with a seeded generator). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Events as a broker may redeliver them: every `every`-th event a second time, later on. */
export function withRedeliveries<T>(items: readonly T[], every = 3): T[] {
  return [...items, ...items.filter((_, i) => i % every === 0)];
}
