import { estimate } from './estimate.ts';
import { gaussHermiteNormal } from './gauss-hermite.ts';
import { assertFittable } from './identifiability.ts';
import { observedHessian } from './information.ts';
import { cholesky, choleskyInverse, negate } from './linalg.ts';
import { resolveOptions } from './options.ts';
import { contractParameters, freeParameterCount, parameterNames, projectHessian } from './parameters.ts';
import { itemEstimates, toRows } from './report.ts';
import { buildResponseSet } from './response-set.ts';
import type { IrtFitOptions, IrtFitResult, IrtInput } from './types.ts';

/**
 * Fit a Rasch, 1PL or 2PL model by marginal maximum likelihood (Gauss-Hermite quadrature over
 * z ~ N(0, 1); Bock-Aitkin EM, then Newton-Raphson on the exact observed Hessian). Standard errors
 * come from the inverse observed information at the optimum. Throws IrtFitError (coded) for bad
 * input, bad options and data that cannot be fitted.
 */
export function fitIrt(input: IrtInput, options: IrtFitOptions): IrtFitResult {
  const resolved = resolveOptions(options);
  const { model } = resolved;
  const set = buildResponseSet(input);
  assertFittable(set, model);
  const quadrature = gaussHermiteNormal(resolved.quadraturePoints);
  const estimation = estimate(set, quadrature, resolved);

  const size = freeParameterCount(model, set.itemCount);
  let covariance: Float64Array | null = null;
  if (resolved.standardErrors) {
    const information = negate(projectHessian(model, observedHessian(set, estimation.params, quadrature), set.itemCount));
    const factor = cholesky(information, size);
    covariance = factor === null ? null : choleskyInverse(factor, size);
  }
  const logLikelihood = estimation.logLikelihood;
  return {
    model,
    items: itemEstimates(model, set, estimation.params, covariance),
    logLikelihood,
    parameterCount: size,
    aic: -2 * logLikelihood + 2 * size,
    bic: -2 * logLikelihood + size * Math.log(set.learners),
    learners: set.learners,
    distinctPatterns: set.patternCount,
    learnersWithoutResponses: set.learnersWithoutResponses,
    converged: estimation.converged,
    iterations: { em: estimation.emIterations, newton: estimation.newtonIterations },
    maxAbsGradient: estimation.maxAbsGradient,
    quadraturePoints: resolved.quadraturePoints,
    parameters: {
      names: parameterNames(model, set.itemIds),
      values: Array.from(contractParameters(model, estimation.params)),
      covariance: covariance === null ? null : toRows(covariance, size),
    },
  };
}
