/**
 * The statements, over Open edX's own tables (the ones edx-analytics-pipeline read from its read
 * replica). `?` placeholders: the LMS runs MySQL.
 */

/**
 * Per problem and score: learners whose state holds that grade. `courseware_studentmodule` keeps
 * one row per learner and problem with the latest grade, as the pipeline's studentmodule
 * distribution reads it; rows without a grade (never checked) are not counted.
 */
export const PROBLEM_GRADES = `
  SELECT course_id, module_id, grade, max_grade, COUNT(*) AS learners
  FROM courseware_studentmodule
  WHERE module_type = 'problem' AND grade IS NOT NULL AND max_grade IS NOT NULL AND max_grade > 0
    AND (? IS NULL OR course_id = ?) AND (? IS NULL OR module_id = ?)
  GROUP BY course_id, module_id, grade, max_grade`;

/** Per course and mode: active enrollments now (`is_active = 1`). */
export const ENROLLMENT_BY_MODE = `
  SELECT course_id, mode, COUNT(*) AS learners
  FROM student_courseenrollment
  WHERE is_active = 1 AND (? IS NULL OR course_id = ?)
  GROUP BY course_id, mode`;
