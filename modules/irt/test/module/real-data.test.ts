/**
 * Real data: LSAT-7 (1,000 examinees x 5 items) replayed as problem_check events and fitted
 * through the module, against mirt's published 2PL (see ../fit/lsat.test.ts for the sources);
 * and the edX logs, whose courses are small enough to check by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  EDX_TRACKING_LOGS,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  REAL_DATA,
  envelopes,
  moduleHarness,
  readLogEnvelopes,
} from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import irt, { firstAttempts, fitCourse, type CourseFit } from '../../src/index.ts';
import type { ItemResponse } from '../../src/fit/index.ts';
import { checksFromMatrix } from './events.ts';

const LSAT7 = path.join(REAL_DATA, 'irt', 'lsat7-expanded.txt');

describe.skipIf(!HAS_REAL_DATA || !existsSync(LSAT7))('irt module - real data', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it("LSAT-7 as 1,000 learners' problem checks (wrong answers retried): mirt's 2PL", async () => {
    const [header, ...lines] = readFileSync(LSAT7, 'utf8').trim().split(/\r?\n/);
    const items = header!.split(',').map((name) => `block-v1:LSAT+7+1970+type@problem+block@${name}`);
    const responses = lines.map((l) => l.split(',').map((c) => Number(c) as ItemResponse));
    const h = await moduleHarness(irt);
    try {
      await h.deliver(envelopes(checksFromMatrix('course-v1:LSAT+7+1970', items, responses)), { batchSize: 500 });
      const fit = await h.query<CourseFit>('irt_fit', { course: 'course-v1:LSAT+7+1970', model: '2pl' });
      expect(fit.learners).toBe(1000);
      expect(fit.log_likelihood).toBeCloseTo(-2658.805, 2);
      [0.988, 1.081, 1.706, 0.765, 0.736].forEach((a, j) => expect(fit.items[j]!.discrimination).toBeCloseTo(a, 2));
      [1.856, 0.808, 1.804, 0.486, 1.855].forEach((c, j) => expect(fit.items[j]!.intercept).toBeCloseTo(c, 2));
      expect(fit.items.every((i) => i.difficulty_se !== null && i.discrimination_se !== null)).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('edX logs: first-attempt shares checked by hand; a one-item Rasch fit has log-likelihood 2 ln 0.5', async () => {
    const events = (await Promise.all(EDX_TRACKING_LOGS.map(readLogEnvelopes))).flat();
    // A separate Python script: first server checks per learner in edX/E929/2014_T2 were correct
    // 1/4, 2/4, 2/4, 2/4 (problems in id order).
    const e929 = fitCourse('edX/E929/2014_T2', firstAttempts(events, 'edX/E929/2014_T2'), 'rasch');
    expect(e929.items.map((i) => [i.responses, i.proportion_correct])).toEqual([
      [4, 0.25],
      [4, 0.5],
      [4, 0.5],
      [4, 0.5],
    ]);
    // edX/Open_DemoX/edx_demo_course: 6 of 7 problems were right (or wrong) for everybody; the one left
    // has 1 of 2 right, so b = 0 and each learner's likelihood is 1/2.
    const demo = fitCourse('edX/Open_DemoX/edx_demo_course', firstAttempts(events, 'edX/Open_DemoX/edx_demo_course'), 'rasch');
    expect(demo.dropped_items).toHaveLength(6);
    expect(demo.items.map((i) => i.problem)).toEqual(['i4x://edX/Open_DemoX/problem/a0effb954cca4759994f1ac9e9434bf4']);
    expect(demo.log_likelihood).toBeCloseTo(2 * Math.log(0.5), 8);
    expect(demo.items[0]!.difficulty).toBeCloseTo(0, 6);
    expect(() =>
      fitCourse('edX/Open_DemoX/edx_demo_course', firstAttempts(events, 'edX/Open_DemoX/edx_demo_course'), '2pl'),
    ).toThrow(/needs at least 3 items/);
  });
});
