/** A small course history written for these tests: two courses, three weeks, every label and every exclusion. */
import { edxEvent, envelopes } from '@insights/analytics-common/testing';

const A = 'course-v1:TestX+Act+2020';
const B = 'TestX/Act2/2020';
export const COURSES = { A, B } as const;

export const EVENTS = envelopes([
  // Week of Monday 2020-03-02: learners 1, 2 active in A; 1 attempts a problem, 2 plays a video twice.
  edxEvent({ type: 'problem_check', user: 1, course: A, time: '2020-03-02T00:00:00Z' }),
  edxEvent({ type: 'problem_check', source: 'browser', user: 1, course: A, time: '2020-03-02T00:00:01Z', event: 'input_x=1' }),
  edxEvent({
    type: 'play_video',
    source: 'browser',
    user: 2,
    course: A,
    time: '2020-03-04T10:00:00Z',
    event: { id: 'v', currentTime: 0 },
  }),
  edxEvent({ type: 'play_video', source: 'mobile', user: 2, course: A, time: '2020-03-08T23:59:59.999Z', event: { id: 'v' } }),
  // Not counted: enrollment, background task, no user id, no course.
  edxEvent({
    type: 'edx.course.enrollment.activated',
    user: 3,
    course: A,
    time: '2020-03-03T00:00:00Z',
    event: { mode: 'audit' },
  }),
  edxEvent({ type: 'problem_rescore', source: 'task', user: 3, course: A, time: '2020-03-03T00:00:00Z' }),
  edxEvent({ type: 'problem_check', username: 'ghost', course: A, time: '2020-03-03T00:00:00Z' }),
  edxEvent({ type: 'page_close', source: 'browser', user: 4, time: '2020-03-03T00:00:00Z' }),
  // Week of 2020-03-09: learner 1 posts in A's forum (a server event); a browser forum event is only ACTIVE.
  edxEvent({ type: 'edx.forum.thread.created', user: 1, course: A, time: '2020-03-09T00:00:00Z', event: { id: 't1' } }),
  edxEvent({ type: 'edx.forum.comment.created', source: 'browser', user: 5, course: A, time: '2020-03-10T00:00:00Z' }),
  edxEvent({ type: 'edx.forum.thread.voted', user: 6, course: A, time: '2020-03-10T00:00:00Z' }),
  // A page view in course B, the course parsed from the URL path.
  {
    ...edxEvent({ type: `/courses/${B}/courseware/`, user: 7, time: '2020-03-10T00:00:00Z' }),
    context: { user_id: 7, path: `/courses/${B}/courseware/` },
  },
  // Week of 2020-03-23 (two empty weeks before it): learner 2 again in A.
  edxEvent({ type: 'edx.ui.lms.link_clicked', source: 'browser', user: 2, course: A, time: '2020-03-23T12:00:00Z' }),
]);

/** Counted by hand from the events above; ordered by course id (code units), week, label. */
export const EXPECTED = [
  { course: B, week_start: '2020-03-09', week_end: '2020-03-16', label: 'ACTIVE', learners: 1 },
  { course: A, week_start: '2020-03-02', week_end: '2020-03-09', label: 'ACTIVE', learners: 2 },
  { course: A, week_start: '2020-03-02', week_end: '2020-03-09', label: 'ATTEMPTED_PROBLEM', learners: 1 },
  { course: A, week_start: '2020-03-02', week_end: '2020-03-09', label: 'PLAYED_VIDEO', learners: 1 },
  { course: A, week_start: '2020-03-09', week_end: '2020-03-16', label: 'ACTIVE', learners: 3 },
  { course: A, week_start: '2020-03-09', week_end: '2020-03-16', label: 'POSTED_FORUM', learners: 1 },
  { course: A, week_start: '2020-03-23', week_end: '2020-03-30', label: 'ACTIVE', learners: 1 },
];
