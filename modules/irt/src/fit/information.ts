import { nodeLogProbabilities, patternNodeLogDensity } from './e-step.ts';
import type { NormalQuadrature } from './gauss-hermite.ts';
import type { ItemParameters } from './parameters.ts';
import type { ResponseSet } from './response-set.ts';

/** Posterior mass below which a node's share of the covariance sum is dropped (relative error ~1e-14). */
const NEGLIGIBLE_POSTERIOR = 1e-14;

/**
 * Exact Hessian of the marginal log-likelihood over the full (c_0, a_0, c_1, a_1, ...) vector, by
 * Louis' identity: for each pattern, d2 log L_p = E_post[d2 log f] + Cov_post[score], where the
 * complete-data score of item j at node k is e_jk (1, z_k), e_jk = x_j - P_jk (0 if unobserved).
 *
 * The covariance term needs sum_p n_p pi_pk e_pik e_pjk for every item pair; accumulating it per
 * node k (a packed upper triangle per node) costs one multiply-add per (pattern, node, pair) and the
 * z_k, z_k^2 moments are applied once at the end. Memory: nodes x J (J + 1) / 2 doubles.
 */
export function observedHessian(set: ResponseSet, params: ItemParameters, quadrature: NormalQuadrature): Float64Array {
  const itemCount = set.itemCount;
  const nodeCount = quadrature.nodes.length;
  const nodes = quadrature.nodes;
  const full = 2 * itemCount;
  const hessian = new Float64Array(full * full);
  const triangle = (itemCount * (itemCount + 1)) / 2;
  const pairSums = new Float64Array(nodeCount * triangle);
  const expectedResponses = new Float64Array(itemCount * nodeCount);
  const probabilities = nodeLogProbabilities(params, quadrature);
  const correct = probabilities.logCorrect.map(Math.exp);
  const joint = new Float64Array(nodeCount);
  const posterior = new Float64Array(nodeCount);
  const maxObserved = maxPatternLength(set);
  const residuals = new Float64Array(maxObserved * nodeCount);
  const scoreC = new Float64Array(maxObserved);
  const scoreA = new Float64Array(maxObserved);
  const rowOffset = (i: number): number => i * itemCount - (i * (i + 1)) / 2;

  for (let p = 0; p < set.patternCount; p++) {
    const count = set.counts[p]!;
    const logMarginal = patternNodeLogDensity(set, p, probabilities, quadrature, joint);
    for (let k = 0; k < nodeCount; k++) posterior[k] = Math.exp(joint[k]! - logMarginal);
    const start = set.offsets[p]!;
    const observed = set.offsets[p + 1]! - start;
    for (let t = 0; t < observed; t++) {
      const item = set.items[start + t]!;
      const x = set.values[start + t]!;
      let gc = 0;
      let ga = 0;
      for (let k = 0; k < nodeCount; k++) {
        const e = x - correct[item * nodeCount + k]!;
        residuals[t * nodeCount + k] = e;
        gc += posterior[k]! * e;
        ga += posterior[k]! * nodes[k]! * e;
        expectedResponses[item * nodeCount + k]! += count * posterior[k]!;
      }
      scoreC[t] = gc;
      scoreA[t] = ga;
    }
    // E_post[s s^T], per node, upper triangle of item pairs.
    for (let k = 0; k < nodeCount; k++) {
      if (posterior[k]! < NEGLIGIBLE_POSTERIOR) continue;
      const weight = count * posterior[k]!;
      const base = k * triangle;
      for (let t = 0; t < observed; t++) {
        const i = set.items[start + t]!;
        const wi = weight * residuals[t * nodeCount + k]!;
        const row = base + rowOffset(i);
        for (let u = t; u < observed; u++) pairSums[row + set.items[start + u]!]! += wi * residuals[u * nodeCount + k]!;
      }
    }
    // - g_p g_p^T, upper block triangle (item i <= item j).
    for (let t = 0; t < observed; t++) {
      const rowC = 2 * set.items[start + t]! * full;
      const rowA = rowC + full;
      const ci = count * scoreC[t]!;
      const ai = count * scoreA[t]!;
      for (let u = t; u < observed; u++) {
        const column = 2 * set.items[start + u]!;
        const sc = scoreC[u]!;
        const sa = scoreA[u]!;
        hessian[rowC + column]! -= ci * sc;
        hessian[rowC + column + 1]! -= ci * sa;
        hessian[rowA + column]! -= ai * sc;
        hessian[rowA + column + 1]! -= ai * sa;
      }
    }
  }

  for (let k = 0; k < nodeCount; k++) {
    const z = nodes[k]!;
    const base = k * triangle;
    for (let i = 0; i < itemCount; i++) {
      const row = base + rowOffset(i);
      for (let j = i; j < itemCount; j++) {
        const m = pairSums[row + j]!;
        if (m === 0) continue;
        hessian[2 * i * full + 2 * j]! += m;
        hessian[2 * i * full + 2 * j + 1]! += m * z;
        hessian[(2 * i + 1) * full + 2 * j]! += m * z;
        hessian[(2 * i + 1) * full + 2 * j + 1]! += m * z * z;
      }
    }
    // E_post[d2 log f]: -n_jk P (1 - P) (1, z)(1, z)^T on the diagonal blocks.
    for (let j = 0; j < itemCount; j++) {
      const probability = correct[j * nodeCount + k]!;
      const w = expectedResponses[j * nodeCount + k]! * probability * (1 - probability);
      hessian[2 * j * full + 2 * j]! -= w;
      hessian[2 * j * full + 2 * j + 1]! -= w * z;
      hessian[(2 * j + 1) * full + 2 * j]! -= w * z;
      hessian[(2 * j + 1) * full + 2 * j + 1]! -= w * z * z;
    }
  }
  // Mirror the upper block triangle.
  for (let i = 0; i < itemCount; i++) {
    for (let j = i + 1; j < itemCount; j++) {
      for (let x = 0; x < 2; x++) {
        for (let y = 0; y < 2; y++) hessian[(2 * j + y) * full + 2 * i + x] = hessian[(2 * i + x) * full + 2 * j + y]!;
      }
    }
  }
  return hessian;
}

function maxPatternLength(set: ResponseSet): number {
  let max = 0;
  for (let p = 0; p < set.patternCount; p++) max = Math.max(max, set.offsets[p + 1]! - set.offsets[p]!);
  return max;
}
