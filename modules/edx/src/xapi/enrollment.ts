/**
 * Enrollment and course pass/fail events (event-routing-backends `enrollment_events.py`): the
 * course itself is the object, so there are no context activities.
 */
import { ACTIVITY, EXT, objectIri } from './constants.ts';
import type { VerbName } from './constants.ts';
import { activity, extensions } from './statement.ts';
import type { Transformer } from './transformer.ts';
import { verb } from './transformer.ts';

function enrollment(verbName: VerbName): Transformer {
  return {
    verb: () => verb(verbName),
    object(r) {
      const courseId = r.d.requiredString('context.course_id');
      const name = r.courseName(courseId);
      return activity(objectIri(r.root, 'course', courseId), {
        type: ACTIVITY.course,
        // Upstream: LanguageMap(**({EN: name} if name is not None else {})), so `{}` when unnamed.
        name: name === undefined ? {} : { en: name },
        extensions: extensions({ [EXT.mode]: r.d.get('data.mode') }),
      });
    },
    contextActivities: () => undefined,
  };
}

const registered = enrollment('registered');
const passed = enrollment('passed');

export const ENROLLMENT_TRANSFORMERS: Readonly<Record<string, Transformer>> = {
  'edx.course.enrollment.activated': registered,
  'edx.course.enrollment.mode_changed': registered,
  'edx.course.enrollment.deactivated': enrollment('unregistered'),
  'edx.course.grade.passed.first_time': passed,
  'edx.course.grade.now_passed': passed,
  'edx.course.grade.now_failed': enrollment('failed'),
};
