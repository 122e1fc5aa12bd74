/** Nodes and weights such that sum_k w_k f(z_k) ~ E[f(Z)], Z ~ N(0, 1). Nodes ascending. */
export interface NormalQuadrature {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
  readonly logWeights: Float64Array;
}

const PI_TO_MINUS_QUARTER = Math.PI ** -0.25;
const NEWTON_EPS = 1e-14;
const NEWTON_MAX_ITERATIONS = 100;

/**
 * Gauss-Hermite rule for the standard normal, by Newton's method on the orthonormal Hermite
 * polynomials (the classic `gauher` scheme: asymptotic first guesses, then each root extrapolated
 * from the previous ones). Stable to a few hundred points, unlike the raw monomial recurrence.
 */
export function gaussHermiteNormal(points: number): NormalQuadrature {
  if (!Number.isInteger(points) || points < 1) throw new RangeError(`points must be a positive integer, got ${points}`);
  const n = points;
  // Physicists' rule for weight exp(-x^2), roots filled from the largest down.
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  let z = 0;
  for (let i = 0; i < (n + 1) >> 1; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * x[0]!;
    else if (i === 3) z = 1.91 * z - 0.91 * x[1]!;
    else z = 2 * z - x[i - 2]!;
    let derivative = 0;
    for (let iteration = 0; iteration < NEWTON_MAX_ITERATIONS; iteration++) {
      let p1 = PI_TO_MINUS_QUARTER;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
      }
      derivative = Math.sqrt(2 * n) * p2;
      const previous = z;
      z = previous - p1 / derivative;
      if (Math.abs(z - previous) <= NEWTON_EPS * Math.max(1, Math.abs(z))) break;
    }
    x[i] = z;
    x[n - 1 - i] = -z;
    w[i] = 2 / (derivative * derivative);
    w[n - 1 - i] = w[i]!;
  }
  if (n % 2 === 1) x[(n - 1) >> 1] = 0; // exact symmetry for the middle root
  // Change of variables z = sqrt(2) x turns exp(-x^2) into the N(0, 1) density.
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const logWeights = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    nodes[k] = Math.SQRT2 * x[n - 1 - k]!;
    weights[k] = w[n - 1 - k]! / Math.sqrt(Math.PI);
    logWeights[k] = Math.log(weights[k]!);
  }
  return { nodes, weights, logWeights };
}
