/** Dense symmetric positive-definite algebra on row-major Float64Array matrices. */

/** Lower Cholesky factor L (A = L L^T), or null when A is not numerically positive definite. */
export function cholesky(matrix: Float64Array, size: number): Float64Array | null {
  const lower = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * size + j]!;
      for (let k = 0; k < j; k++) sum -= lower[i * size + k]! * lower[j * size + k]!;
      if (i === j) {
        // Relative pivot floor: a pivot lost to rounding means the matrix is singular in practice.
        if (!(sum > 1e-13 * Math.abs(matrix[i * size + i]!)) || !Number.isFinite(sum)) return null;
        lower[i * size + i] = Math.sqrt(sum);
      } else {
        lower[i * size + j] = sum / lower[j * size + j]!;
      }
    }
  }
  return lower;
}

/** Solve L L^T x = b. */
export function choleskySolve(lower: Float64Array, size: number, rhs: Float64Array): Float64Array {
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let sum = rhs[i]!;
    for (let k = 0; k < i; k++) sum -= lower[i * size + k]! * y[k]!;
    y[i] = sum / lower[i * size + i]!;
  }
  const x = new Float64Array(size);
  for (let i = size - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < size; k++) sum -= lower[k * size + i]! * x[k]!;
    x[i] = sum / lower[i * size + i]!;
  }
  return x;
}

/**
 * A^-1 = L^-T L^-1 from the Cholesky factor L of A. Both steps run along rows (contiguous inner
 * loops), about size^3 / 3 multiply-adds in all.
 */
export function choleskyInverse(lower: Float64Array, size: number): Float64Array {
  // Row i of L^-1: (e_i - sum_{k<i} L_ik row_k) / L_ii.
  const lowerInverse = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    const row = i * size;
    lowerInverse[row + i] = 1;
    for (let k = 0; k < i; k++) {
      const coefficient = lower[row + k]!;
      if (coefficient === 0) continue;
      const other = k * size;
      for (let j = 0; j <= k; j++) lowerInverse[row + j]! -= coefficient * lowerInverse[other + j]!;
    }
    const pivot = lower[row + i]!;
    for (let j = 0; j <= i; j++) lowerInverse[row + j]! /= pivot;
  }
  // (L^-T L^-1)_ij = sum_k M_ki M_kj: rank-one updates of the lower triangle, then mirror.
  const inverse = new Float64Array(size * size);
  for (let k = 0; k < size; k++) {
    const source = k * size;
    for (let i = 0; i <= k; i++) {
      const value = lowerInverse[source + i]!;
      if (value === 0) continue;
      const target = i * size;
      for (let j = 0; j <= i; j++) inverse[target + j]! += value * lowerInverse[source + j]!;
    }
  }
  for (let i = 0; i < size; i++) for (let j = 0; j < i; j++) inverse[j * size + i] = inverse[i * size + j]!;
  return inverse;
}

export function negate(matrix: Float64Array): Float64Array {
  return matrix.map((value) => -value);
}
