import { describe, expect, it } from 'vitest';
import { eStep } from '../../src/fit/e-step.ts';
import { gaussHermiteNormal } from '../../src/fit/gauss-hermite.ts';
import { fitIrt } from '../../src/fit/index.ts';
import type { IrtFitResult, ItemResponse } from '../../src/fit/index.ts';
import { observedHessian } from '../../src/fit/information.ts';
import { buildResponseSet } from '../../src/fit/response-set.ts';
import { simulateResponses } from './support.ts';

const DISCRIMINATIONS = [0.7, 1.0, 1.3, 1.6, 2.0, 0.9, 1.2, 1.5];
const DIFFICULTIES = [-1.5, -0.8, -0.2, 0.3, 0.9, 1.4, -1.1, 0.5];

/** Every estimate within 4 standard errors of the truth, and within a loose absolute bound. */
function expectRecovered(fit: IrtFitResult, truth: { a: readonly number[]; b: readonly number[] }, bound: number): void {
  fit.items.forEach((item, j) => {
    const b = item.difficulty;
    expect(Math.abs(b.value - truth.b[j]!), `b ${item.id}`).toBeLessThan(Math.min(bound, 4 * b.se!));
    const a = item.discrimination;
    if (a.se !== null) expect(Math.abs(a.value - truth.a[j]!), `a ${item.id}`).toBeLessThan(Math.min(bound, 4 * a.se));
  });
}

describe('irt fit - synthetic recovery', () => {
  it('2pl - recovers known discriminations and difficulties from 4,000 simulated learners', () => {
    const responses = simulateResponses({
      learners: 4000,
      discriminations: DISCRIMINATIONS,
      difficulties: DIFFICULTIES,
      seed: 7,
    });
    const fit = fitIrt({ type: 'matrix', responses }, { model: '2pl' });
    expect(fit.converged).toBe(true);
    expect(fit.learners).toBe(4000);
    expect(fit.parameterCount).toBe(16);
    expectRecovered(fit, { a: DISCRIMINATIONS, b: DIFFICULTIES }, 0.3);
    // Slope/intercept and IRT forms agree: c = -a b.
    for (const item of fit.items)
      expect(item.intercept.value).toBeCloseTo(-item.discrimination.value * item.difficulty.value, 10);
  });

  it('1pl - recovers a common discrimination of 1.5', () => {
    const a = DIFFICULTIES.map(() => 1.5);
    const responses = simulateResponses({ learners: 3000, discriminations: a, difficulties: DIFFICULTIES, seed: 11 });
    const fit = fitIrt({ type: 'matrix', responses }, { model: '1pl' });
    expect(fit.converged).toBe(true);
    expect(fit.parameterCount).toBe(DIFFICULTIES.length + 1);
    expectRecovered(fit, { a, b: DIFFICULTIES }, 0.25);
    expect(new Set(fit.items.map((item) => item.discrimination.value)).size).toBe(1);
  });

  it('rasch - recovers difficulties with discrimination fixed at 1', () => {
    const a = DIFFICULTIES.map(() => 1);
    const responses = simulateResponses({ learners: 3000, discriminations: a, difficulties: DIFFICULTIES, seed: 13 });
    const fit = fitIrt({ type: 'matrix', responses }, { model: 'rasch' });
    expect(fit.converged).toBe(true);
    expectRecovered(fit, { a, b: DIFFICULTIES }, 0.2);
    for (const item of fit.items) expect(item.discrimination).toEqual({ value: 1, se: null });
  });

  it('2pl - missing responses are left out of the likelihood and estimates are still recovered', () => {
    const responses = simulateResponses({
      learners: 5000,
      discriminations: DISCRIMINATIONS,
      difficulties: DIFFICULTIES,
      missing: 0.35,
      seed: 17,
    });
    responses.push(
      DIFFICULTIES.map(() => null),
      DIFFICULTIES.map(() => null),
    );
    const empty = responses.filter((row) => row.every((value) => value === null)).length;
    expect(empty).toBeGreaterThanOrEqual(2);
    const fit = fitIrt({ type: 'matrix', responses }, { model: '2pl' });
    expect(fit.converged).toBe(true);
    expect(fit.learnersWithoutResponses).toBe(empty);
    expect(fit.learners).toBe(responses.length - empty);
    const answered = responses.flat().filter((value) => value !== null).length;
    expect(fit.items.reduce((sum, item) => sum + item.responses, 0)).toBe(answered);
    expectRecovered(fit, { a: DISCRIMINATIONS, b: DIFFICULTIES }, 0.35);
  });

  it('2pl - dropping one item from a learner changes only that learner term (missing is not "wrong")', () => {
    const responses = simulateResponses({
      learners: 600,
      discriminations: DISCRIMINATIONS,
      difficulties: DIFFICULTIES,
      seed: 19,
    });
    const set = buildResponseSet({ type: 'matrix', responses });
    const withGap = responses.map((row) => [...row]);
    withGap[0]![0] = null;
    const gapSet = buildResponseSet({ type: 'matrix', responses: withGap });
    const quadrature = gaussHermiteNormal(21);
    const params = {
      intercepts: Float64Array.from(DIFFICULTIES, (b, j) => -DISCRIMINATIONS[j]! * b),
      slopes: Float64Array.from(DISCRIMINATIONS),
    };
    const only = (row: readonly ItemResponse[]): number =>
      eStep(buildResponseSet({ type: 'matrix', responses: [row] }), params, quadrature).logLikelihood;
    const full = eStep(set, params, quadrature).logLikelihood;
    const gap = eStep(gapSet, params, quadrature).logLikelihood;
    expect(gap - full).toBeCloseTo(only(withGap[0]!) - only(responses[0]!), 10);
  });
});

describe('irt fit - estimation machinery', () => {
  const responses = simulateResponses({
    learners: 800,
    discriminations: DISCRIMINATIONS.slice(0, 5),
    difficulties: DIFFICULTIES.slice(0, 5),
    missing: 0.2,
    seed: 23,
  });

  it('information - Louis observed Hessian equals a finite-difference Hessian of the marginal log-likelihood', () => {
    const set = buildResponseSet({ type: 'matrix', responses });
    const quadrature = gaussHermiteNormal(21);
    const intercepts = Float64Array.from([1.2, 0.4, -0.3, 0.8, -1.1]);
    const slopes = Float64Array.from([0.8, 1.1, 1.6, 0.5, 1.3]);
    const analytic = observedHessian(set, { intercepts, slopes }, quadrature);
    const size = 10;
    const logLikelihood = (theta: Float64Array): number => {
      const params = {
        intercepts: Float64Array.from({ length: 5 }, (_, j) => theta[2 * j]!),
        slopes: Float64Array.from({ length: 5 }, (_, j) => theta[2 * j + 1]!),
      };
      return eStep(set, params, quadrature).logLikelihood;
    };
    const theta = Float64Array.from({ length: size }, (_, f) => (f % 2 === 0 ? intercepts[f >> 1]! : slopes[f >> 1]!));
    const h = 1e-4;
    for (let f = 0; f < size; f++) {
      for (let g = f; g < size; g++) {
        const at = (df: number, dg: number): number => {
          const point = theta.slice();
          point[f]! += df;
          point[g]! += dg;
          return logLikelihood(point);
        };
        const numeric = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h);
        const exact = analytic[f * size + g]!;
        expect(Math.abs(numeric - exact), `H[${f}][${g}]`).toBeLessThan(1e-3 * Math.max(1, Math.abs(exact)));
        expect(analytic[g * size + f]).toBe(exact);
      }
    }
  });

  it('fit - pattern table with frequencies equals the expanded matrix', () => {
    const unique = new Map<string, { row: ItemResponse[]; count: number }>();
    for (const row of responses) {
      const key = JSON.stringify(row);
      const entry = unique.get(key);
      if (entry) entry.count++;
      else unique.set(key, { row, count: 1 });
    }
    const entries = [...unique.values()];
    const fromPatterns = fitIrt(
      { type: 'patterns', patterns: entries.map((e) => e.row), frequencies: entries.map((e) => e.count) },
      { model: '2pl' },
    );
    const fromMatrix = fitIrt({ type: 'matrix', responses }, { model: '2pl' });
    const answeredSomething = entries.filter((e) => e.row.some((value) => value !== null)).length;
    expect(fromPatterns.distinctPatterns).toBe(answeredSomething);
    expect(fromPatterns.logLikelihood).toBeCloseTo(fromMatrix.logLikelihood, 8);
    expect(fromPatterns.parameters.values.map((v) => v.toFixed(6))).toEqual(
      fromMatrix.parameters.values.map((v) => v.toFixed(6)),
    );
  });

  it('fit - pure EM (no Newton phase) reaches the same optimum, more slowly', () => {
    const newton = fitIrt({ type: 'matrix', responses }, { model: '2pl' });
    const em = fitIrt(
      { type: 'matrix', responses },
      { model: '2pl', maxNewtonIterations: 0, maxEmIterations: 20000, tolerance: 1e-6 },
    );
    expect(em.iterations.newton).toBe(0);
    expect(em.iterations.em).toBeGreaterThan(newton.iterations.em);
    expect(em.logLikelihood).toBeCloseTo(newton.logLikelihood, 3);
    em.items.forEach((item, j) => expect(item.difficulty.value).toBeCloseTo(newton.items[j]!.difficulty.value, 2));
  });

  it('fit - reports non-convergence when the iteration limits stop it early', () => {
    const fit = fitIrt({ type: 'matrix', responses }, { model: '2pl', maxEmIterations: 1, maxNewtonIterations: 0 });
    expect(fit.converged).toBe(false);
    expect(fit.iterations).toEqual({ em: 1, newton: 0 });
    expect(fit.maxAbsGradient).toBeGreaterThan(1e-3);
  });

  it('fit - standardErrors: false skips the information matrix', () => {
    const fit = fitIrt({ type: 'matrix', responses }, { model: '1pl', standardErrors: false });
    expect(fit.parameters.covariance).toBeNull();
    for (const item of fit.items)
      expect([item.difficulty.se, item.discrimination.se, item.intercept.se]).toEqual([null, null, null]);
  });

  it('fit - covariance is symmetric and its diagonal gives the slope/intercept standard errors', () => {
    const fit = fitIrt({ type: 'matrix', responses, itemIds: ['q1', 'q2', 'q3', 'q4', 'q5'] }, { model: '2pl' });
    const { names, covariance } = fit.parameters;
    expect(names.slice(0, 4)).toEqual(['c:q1', 'a:q1', 'c:q2', 'a:q2']);
    expect(covariance).not.toBeNull();
    covariance!.forEach((row, i) => row.forEach((value, j) => expect(value).toBeCloseTo(covariance![j]![i]!, 12)));
    expect(Math.sqrt(covariance![1]![1]!)).toBeCloseTo(fit.items[0]!.discrimination.se!, 12);
    expect(Math.sqrt(covariance![2]![2]!)).toBeCloseTo(fit.items[1]!.intercept.se!, 12);
  });

  it('fit - 61 quadrature points move the log-likelihood by less than 0.0005', () => {
    const base = fitIrt({ type: 'matrix', responses }, { model: '2pl' });
    const fine = fitIrt({ type: 'matrix', responses }, { model: '2pl', quadraturePoints: 61 });
    expect(fine.quadraturePoints).toBe(61);
    expect(fine.logLikelihood).toBeCloseTo(base.logLikelihood, 3);
  });

  it('fit - 2,000 learners x 100 items with 20% missing fits in seconds', () => {
    const discriminations = Array.from({ length: 100 }, (_, j) => 0.6 + (j % 7) * 0.2);
    const difficulties = Array.from({ length: 100 }, (_, j) => -2 + (j * 4) / 99);
    const big = simulateResponses({ learners: 2000, discriminations, difficulties, missing: 0.2, seed: 29 });
    const started = performance.now();
    const fit = fitIrt({ type: 'matrix', responses: big }, { model: '2pl' });
    const seconds = (performance.now() - started) / 1000;
    expect(fit.converged).toBe(true);
    expect(fit.distinctPatterns).toBe(2000);
    expect(seconds).toBeLessThan(25); // generous: the machine is shared; typically ~1 s
  });
});
