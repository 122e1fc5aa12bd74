/**
 * Which events are a learner's activity in a course: every edX event with a learner (the
 * envelope actor: `context.user_id`, else the username) and a course, except background tasks
 * (`event_source` task) and enrollment events, as in the weekly ACTIVE definition.
 */
import { epochMs, eventSource, isEnrollmentEvent } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';

export interface ActivityEvent {
  readonly id: string;
  /** Epoch ms. */
  readonly t: number;
  readonly course: string;
  readonly learner: string;
}

export function isActivity(e: EventEnvelope): boolean {
  return e.actor !== undefined && e.course !== undefined && eventSource(e) !== 'task' && !isEnrollmentEvent(e);
}

export function activityEvent(e: EventEnvelope): ActivityEvent | undefined {
  return isActivity(e) ? { id: e.id, t: epochMs(e.time), course: e.course!, learner: e.actor! } : undefined;
}
