/** Special exam attempts (event-routing-backends `exam_events.py`): created = initialized, submitted = terminated. */
import { ACTIVITY, EXT } from './constants.ts';
import type { VerbName } from './constants.ts';
import { activity, extensions, languageMap } from './statement.ts';
import type { Transformer } from './transformer.ts';
import { verb } from './transformer.ts';

function exam(activityType: string, verbName: VerbName): Transformer {
  return {
    verb: () => verb(verbName),
    object: (r) =>
      activity(r.d.string('event.exam_content_id'), {
        type: activityType,
        name: languageMap('en', r.d.get('event.exam_name')),
        extensions: extensions({ [EXT.timeLimit]: r.d.get('event.exam_default_time_limit_mins') }),
      }),
    contextActivities(r) {
      const attempt = activity(r.d.string('event.attempt_code'), {
        type: ACTIVITY.examAttempt,
        name: languageMap('en', r.d.get('event.exam_name')),
        extensions: extensions({
          [EXT.attemptStarted]: r.d.get('event.attempt_started_at'),
          [EXT.attemptCompleted]: r.d.get('event.attempt_completed_at'),
          [EXT.duration]: r.d.get('event.attempt_event_elapsed_time_secs'),
          [EXT.attemptId]: r.d.get('event.attempt_id'),
        }),
      });
      return { ...r.courseContextActivities(), grouping: [attempt] };
    },
  };
}

export const EXAM_TRANSFORMERS: Readonly<Record<string, Transformer>> = {
  'edx.special_exam.timed.attempt.created': exam(ACTIVITY.timedAssessment, 'initialized'),
  'edx.special_exam.practice.attempt.created': exam(ACTIVITY.practiceAssessment, 'initialized'),
  'edx.special_exam.proctored.attempt.created': exam(ACTIVITY.proctoredAssessment, 'initialized'),
  'edx.special_exam.timed.attempt.submitted': exam(ACTIVITY.timedAssessment, 'terminated'),
  'edx.special_exam.practice.attempt.submitted': exam(ACTIVITY.practiceAssessment, 'terminated'),
  'edx.special_exam.proctored.attempt.submitted': exam(ACTIVITY.proctoredAssessment, 'terminated'),
};
