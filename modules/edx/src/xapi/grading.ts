/** Grade events (event-routing-backends `grading_events.py`, `completion_events.py`). */
import { EdxDataError } from '../errors.ts';
import { ACTIVITY, EXT, objectIri } from './constants.ts';
import { pyOr, pyTruthy } from './python-compat.ts';
import { activity, extensions } from './statement.ts';
import type { XapiResult } from './statement.ts';
import type { Run, Transformer } from './transformer.ts';
import { verb } from './transformer.ts';

/** Python `event_data[key] or 0`: a KeyError when the key is absent. */
function dataNumber(r: Run, key: string): number {
  const data = r.d.get('data');
  if (data === null || typeof data !== 'object' || !Object.hasOwn(data, key)) {
    throw new EdxDataError(
      'XAPI_MISSING_FIELD',
      `cannot convert the edX event "${r.d.name}" to xAPI: no value for \`data.${key}\``,
      {
        field: `data.${key}`,
      },
    );
  }
  const v = (data as Record<string, unknown>)[key];
  return pyTruthy(v) ? Number(v) : 0;
}

/** Weighted score with `success = earned >= possible` (problem and subsection grades). */
export function weightedResult(r: Run, possibleKey: string, earnedKey: string): XapiResult {
  const possible = dataNumber(r, possibleKey);
  const earned = dataNumber(r, earnedKey);
  return {
    success: earned >= possible,
    score: { min: 0, max: possible, raw: earned, scaled: possible > 0 ? earned / possible : 0 },
  };
}

const subsectionGraded: Transformer = {
  verb: () => verb('earned'),
  object: (r) => activity(objectIri(r.root, 'xblock', r.d.requiredString('data.block_id')), { type: ACTIVITY.resource }),
  result: (r) => weightedResult(r, 'weighted_total_possible', 'weighted_total_earned'),
};

const courseGraded: Transformer = {
  verb: () => verb('earned'),
  object(r) {
    const courseId = r.d.requiredString('context.course_id');
    const name = r.courseName(courseId);
    return activity(objectIri(r.root, 'course', courseId), {
      type: ACTIVITY.course,
      name: name === undefined ? {} : { en: name },
    });
  },
  result(r) {
    const grade = dataNumber(r, 'percent_grade');
    return {
      score: { min: 0, max: 1, raw: grade, scaled: grade },
      extensions: extensions({ [EXT.gradeClassification]: pyOr(r.d.get('data.letter_grade'), () => 'Fail') }),
    };
  },
};

const completionChanged: Transformer = {
  verb: () => verb('progressed'),
  object: (r) => activity(objectIri(r.root, 'xblock', r.d.string('data.block_id')), { type: ACTIVITY.resource }),
  result(r) {
    const completion = r.d.get('data.completion');
    if (typeof completion !== 'number') {
      throw new EdxDataError(
        'XAPI_MISSING_FIELD',
        'cannot convert the completion event to xAPI: `data.completion` is not a number',
        {
          field: 'data.completion',
        },
      );
    }
    return { completion: completion === 1, extensions: extensions({ [EXT.progress]: completion * 100 }) };
  },
};

export const GRADING_TRANSFORMERS: Readonly<Record<string, Transformer>> = {
  'edx.grades.subsection.grade_calculated': subsectionGraded,
  'edx.grades.course.grade_calculated': courseGraded,
  'edx.completion.block_completion.changed': completionChanged,
};
