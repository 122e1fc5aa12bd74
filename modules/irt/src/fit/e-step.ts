import type { NormalQuadrature } from './gauss-hermite.ts';
import type { ItemParameters } from './parameters.ts';
import type { ResponseSet } from './response-set.ts';

/** log(1 + e^x) without overflow or loss of precision. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log P(correct) and log P(incorrect) for item j at node k, at index j * K + k. */
export interface NodeLogProbabilities {
  readonly logCorrect: Float64Array;
  readonly logIncorrect: Float64Array;
}

export function nodeLogProbabilities(params: ItemParameters, quadrature: NormalQuadrature): NodeLogProbabilities {
  const nodeCount = quadrature.nodes.length;
  const itemCount = params.intercepts.length;
  const logCorrect = new Float64Array(itemCount * nodeCount);
  const logIncorrect = new Float64Array(itemCount * nodeCount);
  for (let j = 0; j < itemCount; j++) {
    const a = params.slopes[j]!;
    const c = params.intercepts[j]!;
    for (let k = 0; k < nodeCount; k++) {
      const eta = a * quadrature.nodes[k]! + c;
      logCorrect[j * nodeCount + k] = -softplus(-eta);
      logIncorrect[j * nodeCount + k] = -softplus(eta);
    }
  }
  return { logCorrect, logIncorrect };
}

/**
 * Log of the joint density of pattern p and node k (log w_k + sum of item log-probabilities) into
 * `out`; returns log L_p = log sum_k exp(out_k), computed with the max shift.
 */
export function patternNodeLogDensity(
  set: ResponseSet,
  p: number,
  probabilities: NodeLogProbabilities,
  quadrature: NormalQuadrature,
  out: Float64Array,
): number {
  const nodeCount = quadrature.nodes.length;
  out.set(quadrature.logWeights);
  for (let t = set.offsets[p]!; t < set.offsets[p + 1]!; t++) {
    const source = set.values[t] === 1 ? probabilities.logCorrect : probabilities.logIncorrect;
    const base = set.items[t]! * nodeCount;
    for (let k = 0; k < nodeCount; k++) out[k]! += source[base + k]!;
  }
  let max = -Infinity;
  for (let k = 0; k < nodeCount; k++) if (out[k]! > max) max = out[k]!;
  let sum = 0;
  for (let k = 0; k < nodeCount; k++) sum += Math.exp(out[k]! - max);
  return max + Math.log(sum);
}

export interface EStepResult {
  readonly logLikelihood: number;
  /** Expected learners answering item j at node k (n_jk), index j * K + k. */
  readonly expectedResponses: Float64Array;
  /** Expected learners answering item j correctly at node k (r_jk). */
  readonly expectedCorrect: Float64Array;
  readonly probabilities: NodeLogProbabilities;
}

/** Bock-Aitkin E-step: marginal log-likelihood and the expected counts per item and node. */
export function eStep(set: ResponseSet, params: ItemParameters, quadrature: NormalQuadrature): EStepResult {
  const nodeCount = quadrature.nodes.length;
  const probabilities = nodeLogProbabilities(params, quadrature);
  const expectedResponses = new Float64Array(set.itemCount * nodeCount);
  const expectedCorrect = new Float64Array(set.itemCount * nodeCount);
  const joint = new Float64Array(nodeCount);
  const posterior = new Float64Array(nodeCount);
  let logLikelihood = 0;
  for (let p = 0; p < set.patternCount; p++) {
    const count = set.counts[p]!;
    const logMarginal = patternNodeLogDensity(set, p, probabilities, quadrature, joint);
    logLikelihood += count * logMarginal;
    for (let k = 0; k < nodeCount; k++) posterior[k] = count * Math.exp(joint[k]! - logMarginal);
    for (let t = set.offsets[p]!; t < set.offsets[p + 1]!; t++) {
      const base = set.items[t]! * nodeCount;
      for (let k = 0; k < nodeCount; k++) expectedResponses[base + k]! += posterior[k]!;
      if (set.values[t] === 1) for (let k = 0; k < nodeCount; k++) expectedCorrect[base + k]! += posterior[k]!;
    }
  }
  return { logLikelihood, expectedResponses, expectedCorrect, probabilities };
}

/**
 * Gradient of the marginal log-likelihood over the full (c_j, a_j) vector by Fisher's identity:
 * d/dc_j = sum_k (r_jk - n_jk P_jk), d/da_j = sum_k z_k (r_jk - n_jk P_jk).
 */
export function fullGradient(estep: EStepResult, quadrature: NormalQuadrature, itemCount: number): Float64Array {
  const nodeCount = quadrature.nodes.length;
  const gradient = new Float64Array(2 * itemCount);
  for (let j = 0; j < itemCount; j++) {
    let gc = 0;
    let ga = 0;
    for (let k = 0; k < nodeCount; k++) {
      const index = j * nodeCount + k;
      const residual =
        estep.expectedCorrect[index]! - estep.expectedResponses[index]! * Math.exp(estep.probabilities.logCorrect[index]!);
      gc += residual;
      ga += residual * quadrature.nodes[k]!;
    }
    gradient[2 * j] = gc;
    gradient[2 * j + 1] = ga;
  }
  return gradient;
}
