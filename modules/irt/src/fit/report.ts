import type { ItemParameters } from './parameters.ts';
import type { ResponseSet } from './response-set.ts';
import type { Estimate, IrtModel, ItemEstimate } from './types.ts';

/**
 * Item estimates in both parameterisations. Standard errors of derived quantities use the delta
 * method, as ltm does for its IRT parameterisation: b = -c / a has gradient (-1/a, c/a^2) in (c, a).
 * `covariance` is over the model's free parameters (see parameters.ts for their order).
 */
export function itemEstimates(
  model: IrtModel,
  set: ResponseSet,
  params: ItemParameters,
  covariance: Float64Array | null,
): ItemEstimate[] {
  const itemCount = set.itemCount;
  const size = model === 'rasch' ? itemCount : model === '1pl' ? itemCount + 1 : 2 * itemCount;
  const cov = (row: number, column: number): number => covariance![row * size + column]!;
  const items: ItemEstimate[] = [];
  for (let j = 0; j < itemCount; j++) {
    const c = params.intercepts[j]!;
    const a = params.slopes[j]!;
    // Free-parameter indices of this item's intercept and slope (-1: slope fixed at 1).
    const ci = model === '2pl' ? 2 * j : j;
    const ai = model === '2pl' ? 2 * j + 1 : model === '1pl' ? itemCount : -1;
    let seC: number | null = null;
    let seA: number | null = null;
    let seB: number | null = null;
    if (covariance !== null) {
      const vcc = cov(ci, ci);
      seC = Math.sqrt(vcc);
      if (ai < 0) {
        seB = seC; // b = -c when a = 1
      } else {
        const vaa = cov(ai, ai);
        const vca = cov(ci, ai);
        seA = Math.sqrt(vaa);
        const dc = -1 / a;
        const da = c / (a * a);
        seB = Math.sqrt(dc * dc * vcc + 2 * dc * da * vca + da * da * vaa);
      }
    }
    const estimate = (value: number, se: number | null): Estimate => ({ value, se });
    const responses = set.itemResponses[j]!;
    items.push({
      id: set.itemIds[j]!,
      difficulty: estimate(-c / a, seB),
      discrimination: estimate(a, seA),
      intercept: estimate(c, seC),
      responses,
      proportionCorrect: set.itemCorrect[j]! / responses,
    });
  }
  return items;
}

/** Row-major square matrix to nested arrays for the public result. */
export function toRows(matrix: Float64Array, size: number): number[][] {
  return Array.from({ length: size }, (_, row) => Array.from(matrix.subarray(row * size, (row + 1) * size)));
}
