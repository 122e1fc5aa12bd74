import { eStep, fullGradient } from './e-step.ts';
import type { EStepResult } from './e-step.ts';
import type { NormalQuadrature } from './gauss-hermite.ts';
import { observedHessian } from './information.ts';
import { cholesky, choleskySolve, negate } from './linalg.ts';
import { mStep } from './m-step.ts';
import type { ResolvedOptions } from './options.ts';
import { contractParameters, expandParameters, freeParameterCount, projectGradient, projectHessian } from './parameters.ts';
import type { ItemParameters } from './parameters.ts';
import type { ResponseSet } from './response-set.ts';

/**
 * EM is robust from poor starting values but converges linearly (very slowly on flat likelihoods
 * such as the LSAT-6 2PL); Newton-Raphson on the exact observed Hessian converges quadratically
 * once close. So: EM until the per-learner gain is small, then Newton with step halving, falling
 * back to an EM step whenever the Hessian is not negative definite or no step improves.
 */
const EM_HANDOVER_GAIN_PER_LEARNER = 1e-5;
const MAX_HALVINGS = 30;
/** A reused factor must cut max |gradient| at least this much per step, else it is refreshed. */
const CHORD_MIN_REDUCTION = 0.1;

export interface Estimation {
  readonly params: ItemParameters;
  readonly logLikelihood: number;
  readonly converged: boolean;
  readonly emIterations: number;
  readonly newtonIterations: number;
  readonly maxAbsGradient: number;
}

function maxAbs(values: Float64Array): number {
  let max = 0;
  for (const value of values) max = Math.max(max, Math.abs(value));
  return max;
}

/** Starting values: a = 1, c from the observed proportion with the usual logistic-normal shrinkage. */
export function startingParameters(set: ResponseSet): ItemParameters {
  const intercepts = new Float64Array(set.itemCount);
  const slopes = new Float64Array(set.itemCount).fill(1);
  const inflation = Math.sqrt(1 + (Math.PI * Math.PI) / 8); // logit of E[sigmoid(z + c)] ~ c / inflation
  for (let j = 0; j < set.itemCount; j++) {
    const proportion = set.itemCorrect[j]! / set.itemResponses[j]!;
    intercepts[j] = Math.log(proportion / (1 - proportion)) * inflation;
  }
  return { intercepts, slopes };
}

export function estimate(set: ResponseSet, quadrature: NormalQuadrature, options: ResolvedOptions): Estimation {
  const { model } = options;
  const itemCount = set.itemCount;
  const gradientLimit = options.tolerance * set.learners;
  const size = freeParameterCount(model, itemCount);
  let params = expandParameters(model, contractParameters(model, startingParameters(set)), itemCount);
  let current: EStepResult = eStep(set, params, quadrature);
  const gradientOf = (e: EStepResult): Float64Array => projectGradient(model, fullGradient(e, quadrature, itemCount), itemCount);

  let emIterations = 0;
  const emStopGain = options.maxNewtonIterations > 0 ? EM_HANDOVER_GAIN_PER_LEARNER * set.learners : 0;
  while (emIterations < options.maxEmIterations) {
    if (maxAbs(gradientOf(current)) < gradientLimit) break;
    const nextParams = mStep(model, current, quadrature, params);
    const next = eStep(set, nextParams, quadrature);
    emIterations++;
    const gain = next.logLikelihood - current.logLikelihood;
    params = nextParams;
    current = next;
    if (gain < emStopGain) break;
  }

  let newtonIterations = 0;
  let gradient = gradientOf(current);
  // Cholesky factor of the information, reused across iterations (chord Newton) while it keeps
  // the gradient shrinking fast: one Hessian costs as much as many E-steps on large data.
  let factor: Float64Array | null = null;
  while (newtonIterations < options.maxNewtonIterations && maxAbs(gradient) >= gradientLimit) {
    newtonIterations++;
    const fresh = factor === null;
    factor ??= cholesky(negate(projectHessian(model, observedHessian(set, params, quadrature), itemCount)), size);
    const moved = factor !== null && newtonStep(factor);
    if (moved) {
      const previous = maxAbs(gradient);
      gradient = gradientOf(current);
      if (!fresh && maxAbs(gradient) > CHORD_MIN_REDUCTION * previous) factor = null;
      continue;
    }
    factor = null;
    if (!fresh) continue; // retry at once with the Hessian at the current point
    // Not concave here, or rounding stalls the line search: take a (monotone) EM step instead.
    params = mStep(model, current, quadrature, params);
    current = eStep(set, params, quadrature);
    gradient = gradientOf(current);
  }

  function newtonStep(lower: Float64Array): boolean {
    const theta = contractParameters(model, params);
    const step = choleskySolve(lower, size, gradient);
    let scale = 1;
    for (let h = 0; h < MAX_HALVINGS; h++, scale /= 2) {
      const trialParams = expandParameters(
        model,
        theta.map((value, i) => value + scale * step[i]!),
        itemCount,
      );
      const trial = eStep(set, trialParams, quadrature);
      // Near the optimum the gain (~g' H^-1 g) is below rounding of logL; accept ties.
      if (trial.logLikelihood >= current.logLikelihood - 1e-12 * Math.abs(current.logLikelihood)) {
        params = trialParams;
        current = trial;
        return true;
      }
    }
    return false;
  }

  const maxAbsGradient = maxAbs(gradient);
  return {
    params,
    logLikelihood: current.logLikelihood,
    converged: maxAbsGradient < gradientLimit,
    emIterations,
    newtonIterations,
    maxAbsGradient,
  };
}
