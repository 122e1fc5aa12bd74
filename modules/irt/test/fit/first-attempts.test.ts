import { describe, expect, it } from 'vitest';
import { firstAttemptMatrix, fitIrt } from '../../src/fit/index.ts';
import type { AttemptRecord } from '../../src/fit/index.ts';

describe('irt first attempts', () => {
  it('first-attempts - keeps the earliest attempt per learner and item, null where never tried', () => {
    const attempts: AttemptRecord[] = [
      { learnerId: 'ann', itemId: 'q2', correct: true, time: 30 },
      { learnerId: 'ann', itemId: 'q1', correct: false, time: 10 },
      { learnerId: 'ann', itemId: 'q1', correct: true, time: 20 }, // retry: ignored
      { learnerId: 'bob', itemId: 'q1', correct: true, time: 50 },
      { learnerId: 'bob', itemId: 'q1', correct: false, time: 5 }, // earlier, listed later
    ];
    const matrix = firstAttemptMatrix(attempts);
    expect(matrix.itemIds).toEqual(['q2', 'q1']);
    expect(matrix.learnerIds).toEqual(['ann', 'bob']);
    expect(matrix.responses).toEqual([
      [1, 0],
      [null, 0],
    ]);
  });

  it('first-attempts - without times, input order decides; fixed itemIds select and order columns', () => {
    const attempts: AttemptRecord[] = [
      { learnerId: 'ann', itemId: 'q1', correct: true },
      { learnerId: 'ann', itemId: 'q1', correct: false },
      { learnerId: 'ann', itemId: 'other', correct: false },
      { learnerId: 'ann', itemId: 'q3', correct: false },
    ];
    const matrix = firstAttemptMatrix(attempts, { itemIds: ['q3', 'q2', 'q1'] });
    expect(matrix.itemIds).toEqual(['q3', 'q2', 'q1']);
    expect(matrix.responses).toEqual([[0, null, 1]]);
  });

  it('first-attempts - the matrix feeds fitIrt directly', () => {
    const attempts: AttemptRecord[] = [];
    const pattern = [
      [1, 1, 0],
      [1, 0, 0],
      [0, 1, 1],
      [1, 1, 1],
      [0, 0, 1],
      [1, 0, 1],
    ];
    pattern.forEach((row, learner) =>
      row.forEach((value, item) => attempts.push({ learnerId: `l${learner}`, itemId: `q${item}`, correct: value === 1 })),
    );
    const fit = fitIrt(firstAttemptMatrix(attempts), { model: 'rasch' });
    expect(fit.items.map((item) => item.id)).toEqual(['q0', 'q1', 'q2']);
    expect(fit.learners).toBe(6);
  });

  it('first-attempts - rejects malformed records with a coded error', () => {
    expect(() => firstAttemptMatrix([{ learnerId: 'a', itemId: 'q', correct: 1 } as unknown as AttemptRecord])).toThrow(
      expect.objectContaining({ code: 'IRT_INVALID_INPUT' }),
    );
    expect(() => firstAttemptMatrix([{ learnerId: 'a', itemId: 'q', correct: true, time: Number.NaN }])).toThrow(
      expect.objectContaining({ code: 'IRT_INVALID_INPUT' }),
    );
  });
});
