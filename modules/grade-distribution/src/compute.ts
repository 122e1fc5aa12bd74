/** Grade tables from a whole list of events at once: the reference the realtime path must equal. */
import { uniqueById } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';
import { courseGradeBands, courseGrades, problemGrades, selectScores, type GradeFilter } from './aggregate.ts';
import { latestScores, scoreOf, type Score } from './score.ts';

export function computeScores(events: Iterable<EventEnvelope>, filter: GradeFilter = {}): Score[] {
  const scores = uniqueById(events)
    .map(scoreOf)
    .filter((s): s is Score => s !== undefined);
  return selectScores(latestScores(scores), filter);
}

export const computeProblemGrades = (events: Iterable<EventEnvelope>, filter: GradeFilter = {}) =>
  problemGrades(computeScores(events, filter));
/** Course grades use every problem of the course, so only the course filter applies. */
export const computeCourseGrades = (events: Iterable<EventEnvelope>, course?: string) =>
  courseGrades(computeScores(events, { course }));
export const computeCourseGradeBands = (events: Iterable<EventEnvelope>, course?: string, bands?: number) =>
  courseGradeBands(computeCourseGrades(events, course), bands);
