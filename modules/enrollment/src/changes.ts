/**
 * One enrollment event as a change: `edx.course.enrollment.activated` / `deactivated` /
 * `mode_changed`, with the course, the mode (for mode changes: the new mode) and the enrolled
 * learner from the event body (the actor may be staff or a management command).
 */
import { bodyOf, utcDay } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';

export const ENROLLMENT_TYPES = {
  'edx.course.enrollment.activated': 'activated',
  'edx.course.enrollment.deactivated': 'deactivated',
  'edx.course.enrollment.mode_changed': 'mode_changed',
} as const;
export type ChangeKind = (typeof ENROLLMENT_TYPES)[keyof typeof ENROLLMENT_TYPES];

/** Events without a mode (very old logs) are counted under this mode rather than dropped. */
export const UNKNOWN_MODE = 'unknown';

export interface EnrollmentChange {
  readonly id: string;
  readonly day: string;
  readonly course: string;
  readonly mode: string;
  readonly kind: ChangeKind;
  readonly learner: string | null;
}

export function enrollmentChange(e: EventEnvelope): EnrollmentChange | undefined {
  const kind = (ENROLLMENT_TYPES as Record<string, ChangeKind | undefined>)[e.type];
  if (kind === undefined || e.course === undefined) return undefined;
  const body = bodyOf(e);
  const mode = typeof body?.['mode'] === 'string' && body['mode'] !== '' ? body['mode'] : UNKNOWN_MODE;
  const user = body?.['user_id'];
  const learner = typeof user === 'number' || (typeof user === 'string' && user !== '') ? String(user) : null;
  return { id: e.id, day: utcDay(e.time), course: e.course, mode, kind, learner };
}
