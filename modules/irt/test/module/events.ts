/** problem_check events from response matrices: first attempts as given, then a correct retry after each wrong one. */
import { edxEvent } from '@insights/analytics-common/testing';
import type { ItemResponse } from '../../src/fit/index.ts';

export function checksFromMatrix(
  course: string,
  itemIds: readonly string[],
  responses: readonly (readonly ItemResponse[])[],
): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  responses.forEach((row, learner) =>
    row.forEach((r, item) => {
      if (r === null) return;
      const check = (correct: boolean, minute: number) =>
        edxEvent({
          type: 'problem_check',
          user: learner + 1,
          course,
          time: new Date(Date.UTC(2021, 0, 1) + (learner * 60 + item * 5 + minute) * 60_000).toISOString(),
          event: {
            problem_id: itemIds[item],
            success: correct ? 'correct' : 'incorrect',
            grade: correct ? 1 : 0,
            max_grade: 1,
            answers: {},
          },
        });
      events.push(check(r === 1, 0));
      // A retry that gets it right must not count: IRT reads first attempts only.
      if (r === 0) events.push(check(true, 1));
    }),
  );
  return events;
}
