import type { IrtModel } from './types.ts';

/**
 * Every model is written in slope/intercept form, logit P_j(z) = a_j z + c_j, over the "full"
 * vector (c_0, a_0, c_1, a_1, ...). Each model's free parameters theta map linearly onto it:
 *   rasch: theta = (c_0..c_{J-1}), a_j = 1
 *   1pl:   theta = (c_0..c_{J-1}, a), a_j = a
 *   2pl:   theta = full vector
 * so gradients and Hessians of the full vector project with the constant Jacobian (J^T g, J^T H J).
 */
export interface ItemParameters {
  readonly intercepts: Float64Array;
  readonly slopes: Float64Array;
}

export function freeParameterCount(model: IrtModel, itemCount: number): number {
  if (model === 'rasch') return itemCount;
  if (model === '1pl') return itemCount + 1;
  return 2 * itemCount;
}

export function parameterNames(model: IrtModel, itemIds: readonly string[]): string[] {
  if (model === '2pl') return itemIds.flatMap((id) => [`c:${id}`, `a:${id}`]);
  const names = itemIds.map((id) => `c:${id}`);
  return model === '1pl' ? [...names, 'a'] : names;
}

export function expandParameters(model: IrtModel, theta: Float64Array, itemCount: number): ItemParameters {
  const intercepts = new Float64Array(itemCount);
  const slopes = new Float64Array(itemCount);
  for (let j = 0; j < itemCount; j++) {
    if (model === '2pl') {
      intercepts[j] = theta[2 * j]!;
      slopes[j] = theta[2 * j + 1]!;
    } else {
      intercepts[j] = theta[j]!;
      slopes[j] = model === '1pl' ? theta[itemCount]! : 1;
    }
  }
  return { intercepts, slopes };
}

export function contractParameters(model: IrtModel, params: ItemParameters): Float64Array {
  const itemCount = params.intercepts.length;
  const theta = new Float64Array(freeParameterCount(model, itemCount));
  for (let j = 0; j < itemCount; j++) {
    if (model === '2pl') {
      theta[2 * j] = params.intercepts[j]!;
      theta[2 * j + 1] = params.slopes[j]!;
    } else {
      theta[j] = params.intercepts[j]!;
    }
  }
  if (model === '1pl') theta[itemCount] = params.slopes[0]!;
  return theta;
}

/** Column of theta that full index f (2j intercept, 2j + 1 slope) depends on, or -1 if fixed. */
function freeIndexOf(model: IrtModel, full: number, itemCount: number): number {
  if (model === '2pl') return full;
  const item = full >> 1;
  if ((full & 1) === 0) return item;
  return model === '1pl' ? itemCount : -1;
}

/** J^T g for a full-vector gradient g. */
export function projectGradient(model: IrtModel, fullGradient: Float64Array, itemCount: number): Float64Array {
  const out = new Float64Array(freeParameterCount(model, itemCount));
  for (let f = 0; f < 2 * itemCount; f++) {
    const column = freeIndexOf(model, f, itemCount);
    if (column >= 0) out[column]! += fullGradient[f]!;
  }
  return out;
}

/** J^T H J for a full-vector Hessian H (row-major, 2J x 2J). */
export function projectHessian(model: IrtModel, fullHessian: Float64Array, itemCount: number): Float64Array {
  const size = freeParameterCount(model, itemCount);
  const full = 2 * itemCount;
  if (model === '2pl') return fullHessian.slice();
  const out = new Float64Array(size * size);
  for (let f = 0; f < full; f++) {
    const row = freeIndexOf(model, f, itemCount);
    if (row < 0) continue;
    for (let g = 0; g < full; g++) {
      const column = freeIndexOf(model, g, itemCount);
      if (column >= 0) out[row * size + column]! += fullHessian[f * full + g]!;
    }
  }
  return out;
}
