/**
 * Which activity labels one event earns, as the edX analytics pipeline defined them
 * (edx/analytics/tasks/insights/user_activity.py, UserActivityTask.get_predicate_labels):
 *
 * - no labels for background-task events (`event_source` task) and enrollment events;
 * - ACTIVE for every other event of a learner in a course;
 * - ATTEMPTED_PROBLEM for server `problem_check`;
 * - POSTED_FORUM for server `edx.forum.*.created`;
 * - PLAYED_VIDEO for browser or mobile `play_video`.
 *
 * The learner is `context.user_id` (events without it do not count); the week starts on Monday, UTC.
 */
import { contextUserId, eventSource, isEnrollmentEvent, legacyType, weekStart } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';

export const ACTIVITY_LABELS = ['ACTIVE', 'ATTEMPTED_PROBLEM', 'PLAYED_VIDEO', 'POSTED_FORUM'] as const;
export type ActivityLabel = (typeof ACTIVITY_LABELS)[number];

/** One event's contribution: this learner counts under these labels in this course and week. */
export interface ActivityFact {
  readonly course: string;
  readonly learner: string;
  readonly week: string;
  readonly labels: readonly ActivityLabel[];
}

export function activityLabels(e: EventEnvelope): ActivityLabel[] {
  const source = eventSource(e);
  if (source === 'task' || isEnrollmentEvent(e)) return [];
  const type = legacyType(e);
  const labels: ActivityLabel[] = ['ACTIVE'];
  if (source === 'server' && type === 'problem_check') labels.push('ATTEMPTED_PROBLEM');
  if (source === 'server' && type.startsWith('edx.forum.') && type.endsWith('.created')) labels.push('POSTED_FORUM');
  if ((source === 'browser' || source === 'mobile') && type === 'play_video') labels.push('PLAYED_VIDEO');
  return labels;
}

/** The fact of an event, or undefined when it counts for nothing (no learner, no course, no label). */
export function activityFact(e: EventEnvelope): ActivityFact | undefined {
  const learner = contextUserId(e);
  if (learner === undefined || e.course === undefined) return undefined;
  const labels = activityLabels(e);
  return labels.length === 0 ? undefined : { course: e.course, learner, week: weekStart(e.time), labels };
}

/** The handler's filter: runs on the node, so events that cannot count are never shipped to the module. */
export function mayCount(e: EventEnvelope): boolean {
  return activityFact(e) !== undefined;
}
