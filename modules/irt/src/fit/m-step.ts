import { softplus } from './e-step.ts';
import type { EStepResult } from './e-step.ts';
import type { NormalQuadrature } from './gauss-hermite.ts';
import type { ItemParameters } from './parameters.ts';
import type { IrtModel } from './types.ts';

/**
 * Bock-Aitkin M-step: maximise the expected complete-data log-likelihood
 *   Q = sum_j sum_k r_jk eta_jk - n_jk log(1 + exp(eta_jk)),  eta_jk = a_j z_k + c_j,
 * a weighted logistic regression per item (concave), by a few damped Newton steps.
 */
const INNER_ITERATIONS = 10;
const INNER_TOLERANCE = 1e-10;
const MAX_HALVINGS = 30;

interface ItemTerms {
  q: number;
  gc: number;
  ga: number;
  /** Negative Hessian entries. */
  hcc: number;
  hca: number;
  haa: number;
}

function itemTerms(estep: EStepResult, nodes: Float64Array, j: number, c: number, a: number): ItemTerms {
  const nodeCount = nodes.length;
  const terms: ItemTerms = { q: 0, gc: 0, ga: 0, hcc: 0, hca: 0, haa: 0 };
  for (let k = 0; k < nodeCount; k++) {
    const index = j * nodeCount + k;
    const n = estep.expectedResponses[index]!;
    const r = estep.expectedCorrect[index]!;
    const z = nodes[k]!;
    const eta = a * z + c;
    const p = 1 / (1 + Math.exp(-eta));
    const residual = r - n * p;
    const weight = n * p * (1 - p);
    terms.q += r * eta - n * softplus(eta);
    terms.gc += residual;
    terms.ga += residual * z;
    terms.hcc += weight;
    terms.hca += weight * z;
    terms.haa += weight * z * z;
  }
  return terms;
}

function itemQ(estep: EStepResult, nodes: Float64Array, j: number, c: number, a: number): number {
  let q = 0;
  for (let k = 0; k < nodes.length; k++) {
    const index = j * nodes.length + k;
    const eta = a * nodes[k]! + c;
    q += estep.expectedCorrect[index]! * eta - estep.expectedResponses[index]! * softplus(eta);
  }
  return q;
}

/** One item with its own slope (2pl) or a fixed slope (rasch). */
function updateItem(estep: EStepResult, nodes: Float64Array, j: number, params: ItemParameters, freeSlope: boolean): void {
  let c = params.intercepts[j]!;
  let a = params.slopes[j]!;
  for (let iteration = 0; iteration < INNER_ITERATIONS; iteration++) {
    const t = itemTerms(estep, nodes, j, c, a);
    let dc: number;
    let da = 0;
    if (freeSlope) {
      const det = t.hcc * t.haa - t.hca * t.hca;
      if (!(det > 0)) break;
      dc = (t.haa * t.gc - t.hca * t.ga) / det;
      da = (t.hcc * t.ga - t.hca * t.gc) / det;
    } else {
      if (!(t.hcc > 0)) break;
      dc = t.gc / t.hcc;
    }
    let scale = 1;
    let accepted = false;
    for (let h = 0; h < MAX_HALVINGS; h++, scale /= 2) {
      if (itemQ(estep, nodes, j, c + scale * dc, a + scale * da) >= t.q) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    c += scale * dc;
    a += scale * da;
    if (Math.abs(scale * dc) + Math.abs(scale * da) < INNER_TOLERANCE) break;
  }
  params.intercepts[j] = c;
  params.slopes[j] = a;
}

/** All intercepts plus the shared slope: Newton with an arrow-shaped Hessian (Schur complement). */
function updateCommonSlope(estep: EStepResult, nodes: Float64Array, params: ItemParameters): void {
  const itemCount = params.intercepts.length;
  const dc = new Float64Array(itemCount);
  for (let iteration = 0; iteration < INNER_ITERATIONS; iteration++) {
    const a = params.slopes[0]!;
    let q = 0;
    let ga = 0;
    let haa = 0;
    let schurNumerator = 0;
    let schurDenominator = 0;
    const terms: ItemTerms[] = [];
    for (let j = 0; j < itemCount; j++) {
      const t = itemTerms(estep, nodes, j, params.intercepts[j]!, a);
      terms.push(t);
      q += t.q;
      ga += t.ga;
      haa += t.haa;
      schurNumerator += (t.hca * t.gc) / t.hcc;
      schurDenominator += (t.hca * t.hca) / t.hcc;
    }
    const reduced = haa - schurDenominator;
    if (!(reduced > 0)) break;
    const da = (ga - schurNumerator) / reduced;
    let size = Math.abs(da);
    for (let j = 0; j < itemCount; j++) {
      const t = terms[j]!;
      dc[j] = (t.gc - t.hca * da) / t.hcc;
      size += Math.abs(dc[j]!);
    }
    let scale = 1;
    let accepted = false;
    for (let h = 0; h < MAX_HALVINGS; h++, scale /= 2) {
      let trial = 0;
      for (let j = 0; j < itemCount; j++) trial += itemQ(estep, nodes, j, params.intercepts[j]! + scale * dc[j]!, a + scale * da);
      if (trial >= q) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    for (let j = 0; j < itemCount; j++) {
      params.intercepts[j]! += scale * dc[j]!;
      params.slopes[j] = a + scale * da;
    }
    if (scale * size < INNER_TOLERANCE) break;
  }
}

/** Returns new parameters; the input is left unchanged. */
export function mStep(model: IrtModel, estep: EStepResult, quadrature: NormalQuadrature, params: ItemParameters): ItemParameters {
  const next: ItemParameters = { intercepts: params.intercepts.slice(), slopes: params.slopes.slice() };
  if (model === '1pl') {
    updateCommonSlope(estep, quadrature.nodes, next);
  } else {
    for (let j = 0; j < next.intercepts.length; j++) updateItem(estep, quadrature.nodes, j, next, model === '2pl');
  }
  return next;
}
