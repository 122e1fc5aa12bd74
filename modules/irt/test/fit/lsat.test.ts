/**
 * LSAT-6 and LSAT-7 (Bock & Lieberman 1970; 1,000 examinees x 5 items) against the published
 * output of two established IRT programs, to two decimals (vitest `toBeCloseTo(x, 2)`: |diff| < 0.005).
 *
 * Sources of the expected numbers:
 *
 * [JSS] Rizopoulos, D. (2006). ltm: An R package for latent variable modeling and item response
 *   theory analyses. Journal of Statistical Software 17(5), section 3.1, "An example with binary
 *   data" (ltm's `LSAT` data set is LSAT-6; 21 Gauss-Hermite points, as our default). The paper
 *   is also in the ltm repository, github.com/drizopoulos/ltm @ 3050c46f, "JSS paper/paper-ltm.pdf".
 *   - p. 7: summary(rasch(LSAT, constraint = cbind(length(LSAT) + 1, 1)))  -> our `rasch`
 *   - p. 10: summary(rasch(LSAT))                                          -> our `1pl`
 *   - p. 12: anova(fit2, fit3) with fit3 <- ltm(LSAT ~ z1): log.Lik -2466.65  -> our `2pl`
 *
 * [ltm-2PL] The 2PL item estimates are not printed in [JSS]. They are ltm's output for
 *   summary(ltm(LSAT ~ z1, IRT.param = TRUE)) (log.Lik -2466.653, 21 quadrature points, BFGS
 *   stopping at max(|grad|) 0.024) as published in the R Markdown report of
 *   github.com/kdavis91/2PL-and-3PL-Dichotomous-Item-response-theory-model @ 5910e0ef, README.md
 *   ("Results"; the same table is on RPubs). A third-party run of ltm, not the ltm authors.
 *   ltm stops early there, so agreement is checked at 0.005, not beyond (item 5 differs by 0.002).
 *
 * [mirt-doc] mirt reference manual, rendered examples of mirt 1.45.6
 *   (philchalmers.github.io/mirt/reference/): `mirt()` page, mod1 <- mirt(expand.table(LSAT7), 1):
 *   "Log-likelihood = -2658.805" and coef(mod1) slopes a1 / intercepts d; `LSAT6` page,
 *   mirt(dat, 'F = 1-5 CONSTRAIN = (1-5, a1)'): "Log-likelihood = -2466.938", a1 0.755,
 *   d 2.730 0.999 0.240 1.307 2.100. mirt integrates over 61 rectangular points, not Gauss-Hermite.
 *
 * [mirt-test] mirt's unit tests, github.com/philchalmers/mirt @ 2fc2b236:
 *   - tests/testthat/test-01-mirtOne.R, test 'dich': modm2 <- mirt(LSAT7, 1, SE = TRUE,
 *     SE.type = 'Richardson') lists (estimate, 95% CI lower, upper) per parameter; Richardson is a
 *     numerical Hessian of the observed marginal log-likelihood, the same quantity as ours, so
 *     SE = (upper - lower) / (2 * 1.959964). Same test: modm4 (LSAT7, equal slopes) a1 = 1.011;
 *     QMCEM 2PL on LSAT6: logLik -2466.653.
 *   - tests/testthat/test-15-IRTpars.R: mirt(LSAT7, 1, 'Rasch') intercepts d, SE(d1) = 0.100416.
 *     mirt's 'Rasch' fixes a = 1 and estimates var(theta); it is our `1pl` with a = sd(theta), so
 *     its d equals our slope/intercept c.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitIrt } from '../../src/fit/index.ts';
import type { IrtFitResult, ItemResponse, ResponsePatternsInput } from '../../src/fit/index.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const dataDir = path.resolve(repoRoot, '../shared/data/irt');
const haveData = ['lsat6_patterns.csv', 'lsat7_patterns.csv', 'lsat7-expanded.txt'].every((file) =>
  existsSync(path.join(dataDir, file)),
);
if (!haveData) console.warn(`IRT LSAT tests skipped: ${dataDir} (lsat6/lsat7 pattern tables) not found`);

function parseRow(line: string): ItemResponse[] {
  return line.split(',').map((cell) => {
    const value = Number(cell.trim());
    if (value !== 0 && value !== 1) throw new Error(`not a 0/1 response: ${cell}`);
    return value;
  });
}

/** `Item1,...,Item5,freq` rows: 32 patterns with counts. */
function loadPatterns(file: string): ResponsePatternsInput {
  const [header, ...lines] = readFileSync(path.join(dataDir, file), 'utf8').trim().split(/\r?\n/);
  const itemIds = header!.split(',').slice(0, -1);
  const patterns: ItemResponse[][] = [];
  const frequencies: number[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    patterns.push(parseRow(cells.slice(0, -1).join(',')));
    frequencies.push(Number(cells.at(-1)));
  }
  return { type: 'patterns', patterns, frequencies, itemIds };
}

const column = (result: IrtFitResult, pick: (item: IrtFitResult['items'][number]) => number | null): (number | null)[] =>
  result.items.map(pick);

function expectClose(actual: readonly (number | null)[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, index) => {
    expect(value, `index ${index}`).not.toBeNull();
    expect(value!, `index ${index}`).toBeCloseTo(expected[index]!, 2);
  });
}

/** mirt reports 95% intervals; the standard error is their half-width / qnorm(0.975). */
const seFromInterval = (lower: number, upper: number): number => (upper - lower) / (2 * 1.959964);

describe.skipIf(!haveData)('irt fit - LSAT-6 against ltm (Rizopoulos 2006)', () => {
  const lsat6 = haveData ? loadPatterns('lsat6_patterns.csv') : undefined;

  it('rasch - matches ltm rasch(LSAT, constraint = cbind(6, 1)) [JSS p. 7]', () => {
    const fit = fitIrt(lsat6!, { model: 'rasch' });
    expect(fit.converged).toBe(true);
    expect(fit.learners).toBe(1000);
    expect(fit.logLikelihood).toBeCloseTo(-2473.054, 2);
    expect(fit.aic).toBeCloseTo(4956.108, 2);
    expect(fit.bic).toBeCloseTo(4980.646, 2);
    expectClose(
      column(fit, (item) => item.difficulty.value),
      [-2.872, -1.063, -0.2576, -1.3881, -2.2188],
    );
    expectClose(
      column(fit, (item) => item.difficulty.se),
      [0.1287, 0.0821, 0.0766, 0.0865, 0.1048],
    );
    for (const item of fit.items) expect(item.discrimination).toEqual({ value: 1, se: null });
  });

  it('1pl - matches ltm rasch(LSAT) with its common discrimination [JSS p. 10]', () => {
    const fit = fitIrt(lsat6!, { model: '1pl' });
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood).toBeCloseTo(-2466.938, 2);
    expect(fit.aic).toBeCloseTo(4945.875, 2);
    expect(fit.bic).toBeCloseTo(4975.322, 2);
    expectClose(
      column(fit, (item) => item.difficulty.value),
      [-3.6153, -1.3224, -0.3176, -1.7301, -2.7802],
    );
    expectClose(
      column(fit, (item) => item.difficulty.se),
      [0.3266, 0.1422, 0.0977, 0.1691, 0.251],
    );
    expectClose(
      column(fit, (item) => item.discrimination.value),
      [0.7551, 0.7551, 0.7551, 0.7551, 0.7551],
    );
    expectClose(
      column(fit, (item) => item.discrimination.se),
      [0.0694, 0.0694, 0.0694, 0.0694, 0.0694],
    );
    // The same fit in mirt's slope/intercept form [mirt-doc, LSAT6 page].
    expectClose(
      column(fit, (item) => item.intercept.value),
      [2.73, 0.999, 0.24, 1.307, 2.1],
    );
  });

  it('2pl - matches ltm ltm(LSAT ~ z1) [JSS p. 12; ltm-2PL; mirt-test QMCEM]', () => {
    const fit = fitIrt(lsat6!, { model: '2pl' });
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood).toBeCloseTo(-2466.653, 2);
    expect(fit.aic).toBeCloseTo(4953.31, 1); // [JSS] prints AIC/BIC of fit3 to two decimals only
    expect(fit.bic).toBeCloseTo(5002.38, 1);
    expectClose(
      column(fit, (item) => item.difficulty.value),
      [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236],
    );
    expectClose(
      column(fit, (item) => item.difficulty.se),
      [0.8669, 0.3073, 0.0997, 0.4341, 0.87],
    );
    expectClose(
      column(fit, (item) => item.discrimination.value),
      [0.8254, 0.7229, 0.8905, 0.6886, 0.6575],
    );
    expectClose(
      column(fit, (item) => item.discrimination.se),
      [0.2581, 0.1867, 0.2326, 0.1852, 0.21],
    );
  });

  it('1pl vs rasch - likelihood-ratio statistic as in ltm anova(fit1, fit2) [JSS p. 11]', () => {
    const rasch = fitIrt(lsat6!, { model: 'rasch' });
    const onePl = fitIrt(lsat6!, { model: '1pl' });
    const twoPl = fitIrt(lsat6!, { model: '2pl' });
    expect(2 * (onePl.logLikelihood - rasch.logLikelihood)).toBeCloseTo(12.23, 1);
    expect(2 * (twoPl.logLikelihood - onePl.logLikelihood)).toBeCloseTo(0.57, 1); // [JSS p. 12]
  });
});

describe.skipIf(!haveData)('irt fit - LSAT-7 against mirt', () => {
  const lsat7 = haveData ? loadPatterns('lsat7_patterns.csv') : undefined;

  it('2pl - matches mirt(expand.table(LSAT7), 1) estimates and log-likelihood [mirt-doc]', () => {
    const fit = fitIrt(lsat7!, { model: '2pl' });
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood).toBeCloseTo(-2658.805, 2);
    expect(fit.aic).toBeCloseTo(5337.61, 2);
    expect(fit.bic).toBeCloseTo(5386.688, 2);
    expectClose(
      column(fit, (item) => item.discrimination.value),
      [0.988, 1.081, 1.706, 0.765, 0.736],
    );
    expectClose(
      column(fit, (item) => item.intercept.value),
      [1.856, 0.808, 1.804, 0.486, 1.855],
    );
  });

  it('2pl - standard errors match mirt Richardson (numerical observed information) intervals [mirt-test]', () => {
    const fit = fitIrt(lsat7!, { model: '2pl' });
    expectClose(
      column(fit, (item) => item.discrimination.se),
      [
        seFromInterval(0.6406, 1.3354),
        seFromInterval(0.7501, 1.4119),
        seFromInterval(1.0779, 2.334),
        seFromInterval(0.5022, 1.028),
        seFromInterval(0.4395, 1.032),
      ],
    );
    expectClose(
      column(fit, (item) => item.intercept.se),
      [
        seFromInterval(1.5984, 2.1138),
        seFromInterval(0.6291, 0.9869),
        seFromInterval(1.4036, 2.205),
        seFromInterval(0.3392, 0.6328),
        seFromInterval(1.6302, 2.0787),
      ],
    );
  });

  it("1pl - matches mirt's Rasch (a = 1, free latent variance) intercepts and equal-slope a [mirt-test]", () => {
    const fit = fitIrt(lsat7!, { model: '1pl' });
    expect(fit.converged).toBe(true);
    expectClose(
      column(fit, (item) => item.intercept.value),
      [1.8680155, 0.7908857, 1.4607798, 0.5214175, 1.9927099],
    );
    expect(fit.items[0]!.intercept.se!).toBeCloseTo(0.100416, 2);
    expect(fit.items[0]!.discrimination.value).toBeCloseTo(1.011, 2);
  });

  it('2pl - the 1,000-row matrix (lsat7-expanded.txt) gives the same fit as the pattern table', () => {
    const [header, ...lines] = readFileSync(path.join(dataDir, 'lsat7-expanded.txt'), 'utf8').trim().split(/\r?\n/);
    const responses = lines.map(parseRow);
    expect(responses).toHaveLength(1000);
    const fromMatrix = fitIrt({ type: 'matrix', responses, itemIds: header!.split(',') }, { model: '2pl' });
    const fromPatterns = fitIrt(lsat7!, { model: '2pl' });
    expect(fromMatrix.distinctPatterns).toBe(fromPatterns.distinctPatterns);
    expect(fromMatrix.logLikelihood).toBeCloseTo(fromPatterns.logLikelihood, 8);
    fromMatrix.items.forEach((item, j) => {
      expect(item.difficulty.value).toBeCloseTo(fromPatterns.items[j]!.difficulty.value, 6);
      expect(item.discrimination.se!).toBeCloseTo(fromPatterns.items[j]!.discrimination.se!, 6);
    });
  });
});
