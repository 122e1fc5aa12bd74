/** Player events and xAPI statements written for these tests, with results worked out by hand. */
import { edxEvent, envelopes } from '@insights/analytics-common/testing';

export const C = 'course-v1:TestX+Vid+2020';
export const V = 'video-known'; // reports duration 100
export const W = 'video-unknown'; // reports no duration

let second = 0;
/** Events one second apart, in the order written. */
const at = () => new Date(Date.UTC(2020, 0, 1, 0, 0, second++)).toISOString();
const player = (type: string, user: number | undefined, video: string, body: Record<string, unknown>) =>
  edxEvent({ type, source: 'browser', user, course: C, time: at(), event: { id: video, code: 'html5', ...body } });
const known = (type: string, user: number, body: Record<string, unknown>) => player(type, user, V, { duration: 100, ...body });

export const PLAYER_EVENTS = envelopes([
  // Learner 1: 0-12.3 (segments 0-2); 50-60 ended by a seek to 90 (10-12); the next play reports
  // the stale 60 but starts at 90, stopped at 99.5 (18-19).
  known('play_video', 1, { currentTime: 0 }),
  known('pause_video', 1, { currentTime: 12.3 }),
  known('play_video', 1, { currentTime: 50 }),
  known('seek_video', 1, { old_time: 60, new_time: 90 }),
  known('play_video', 1, { currentTime: 60 }),
  known('stop_video', 1, { currentTime: 99.5 }),
  // Learner 2: too short (0.1 s), ends before it starts, ends past duration + 1: all dropped; then 96-100.9 (19-20).
  known('play_video', 2, { currentTime: 0 }),
  known('pause_video', 2, { currentTime: 0.1 }),
  known('play_video', 2, { currentTime: 20 }),
  known('pause_video', 2, { currentTime: 10 }),
  known('play_video', 2, { currentTime: 95 }),
  known('pause_video', 2, { currentTime: 101.5 }),
  known('play_video', 2, { currentTime: 96 }),
  known('pause_video', 2, { currentTime: 100.9 }),
  // Learner 3: a pause outside any viewing is ignored; 0-4 (0).
  known('pause_video', 3, { currentTime: 5 }),
  known('play_video', 3, { currentTime: 0 }),
  known('pause_video', 3, {}), // no currentTime: at 0, a viewing of 0 s, dropped
  known('play_video', 3, { currentTime: 0 }),
  known('pause_video', 3, { currentTime: 4 }),
  // Not usable: no position, a negative position, no learner id, no video id.
  known('play_video', 4, {}),
  known('play_video', 4, { currentTime: -1 }),
  player('play_video', undefined, V, { currentTime: 0 }),
  player('pause_video', 5, '', { currentTime: 3 }),
  // Video W (no duration): 21 learners watch 0-14 (segments 0-2); one stray viewing at 300 s.
  ...Array.from({ length: 21 }, (_, i) => [
    player('play_video', 100 + i, W, { currentTime: 0 }),
    player('pause_video', 100 + i, W, { currentTime: 14 }),
  ]).flat(),
  player('play_video', 200, W, { currentTime: 300 }),
  player('pause_video', 200, W, { currentTime: 301 }),
]);

const summary = (
  video: string,
  duration: number,
  duration_known: boolean,
  users_at_start: number,
  users_at_end: number,
  views: number,
) => ({
  course: C,
  video,
  duration,
  duration_known,
  segment_length: 5,
  users_at_start,
  users_at_end,
  total_viewed_seconds: 5 * views,
});
const seg = (video: string, segment: number, learners: number, views: number) => ({
  course: C,
  video,
  segment,
  start_second: 5 * segment,
  learners,
  views,
});

/**
 * V: ends at segment 19 (max(100 - 30, 95) s), learners 1 and 2 are there; 11 segment views.
 * W: 1 learner at segment 60 is at most 5 % of the 21 at segment 2, so the video ends with
 * segment 2: duration 3 x 5 - 1 = 14 s, segment 60 is not reported.
 */
export const EXPECTED_SUMMARIES = [summary(V, 100, true, 2, 2, 11), summary(W, 14, false, 21, 21, 63)];
export const EXPECTED_SEGMENTS = [
  seg(V, 0, 2, 2),
  seg(V, 1, 1, 1),
  seg(V, 2, 1, 1),
  seg(V, 10, 1, 1),
  seg(V, 11, 1, 1),
  seg(V, 12, 1, 1),
  seg(V, 18, 1, 1),
  seg(V, 19, 2, 2),
  seg(V, 20, 1, 1),
  seg(W, 0, 21, 21),
  seg(W, 1, 21, 21),
  seg(W, 2, 21, 21),
];

export const X = `http://localhost:18000/xblock/block-v1:${C.slice('course-v1:'.length)}+type@video+block@x1`;
const VERB = {
  played: 'https://w3id.org/xapi/video/verbs/played',
  paused: 'https://w3id.org/xapi/video/verbs/paused',
  seeked: 'https://w3id.org/xapi/video/verbs/seeked',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  initialized: 'http://adlnet.gov/expapi/verbs/initialized',
};
let statementNo = 0;
function statement(verb: keyof typeof VERB, learner: string, result: Record<string, unknown>, object = X) {
  statementNo++;
  return {
    id: `00000000-0000-4000-8000-${String(statementNo).padStart(12, '0')}`,
    timestamp: new Date(Date.UTC(2021, 0, 1, 0, 0, statementNo)).toISOString(),
    actor: { objectType: 'Agent', account: { homePage: 'http://localhost:18000', name: learner } },
    verb: { id: VERB[verb] },
    object: { id: object, objectType: 'Activity' },
    result: { extensions: result },
    context: { extensions: { 'https://w3id.org/xapi/video/extensions/length': 60 } },
  };
}
const time = (s: number) => ({ 'https://w3id.org/xapi/video/extensions/time': s });

export const STATEMENTS = envelopes([
  statement('initialized', 'L', {}),
  statement('played', 'L', time(0)),
  statement('paused', 'L', time(10)), // 1-10
  statement('played', 'L', time(10)),
  statement('seeked', 'L', {
    'https://w3id.org/xapi/video/extensions/time-from': 20,
    'https://w3id.org/xapi/video/extensions/time-to': 40,
  }),
  statement('paused', 'L', time(25)), // the last end before the next play: 10-25
  statement('played', 'L', time(30)), // no end before the next play: nothing
  statement('played', 'L', time(60)), // at the very end: a replay from 1
  statement('paused', 'L', time(3)),
  statement('completed', 'L', time(60)), // the last end: 1-60
  statement('played', 'M', time(5.001)), // 5 at 2-decimal precision
  statement('paused', 'M', time(7.2)), // ceil: 8, so 5-8
  statement('played', 'M', time(1), X.replace('type@video', 'type@problem')), // not a video
]);

const row = (learner: string, segment: number, watch_count: number) => ({
  course: C,
  video: X,
  learner,
  video_duration: 60,
  segment,
  watch_count,
});
export const EXPECTED_WATCHED = [
  ...Array.from({ length: 60 }, (_, i) => i + 1).map((s) => row('L', s, s < 10 ? 2 : s === 10 ? 3 : s <= 25 ? 2 : 1)),
  ...[5, 6, 7, 8].map((s) => row('M', s, 1)),
];
