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

/** A^-1 from the Cholesky factor of A, column by column. */
export function choleskyInverse(lower: Float64Array, size: number): Float64Array {
  const inverse = new Float64Array(size * size);
  const unit = new Float64Array(size);
  for (let column = 0; column < size; column++) {
    unit.fill(0);
    unit[column] = 1;
    const x = choleskySolve(lower, size, unit);
    for (let row = 0; row < size; row++) inverse[row * size + column] = x[row]!;
  }
  return inverse;
}

export function negate(matrix: Float64Array): Float64Array {
  return matrix.map((value) => -value);
}
