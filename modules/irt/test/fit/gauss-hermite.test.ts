import { describe, expect, it } from 'vitest';
import { gaussHermiteNormal } from '../../src/fit/index.ts';

describe('gauss-hermite', () => {
  it('gauss-hermite - two points are +-1 with weight 1/2', () => {
    const rule = gaussHermiteNormal(2);
    expect(Array.from(rule.nodes)).toEqual([expect.closeTo(-1, 14), expect.closeTo(1, 14)]);
    expect(Array.from(rule.weights)).toEqual([expect.closeTo(0.5, 14), expect.closeTo(0.5, 14)]);
  });

  it('gauss-hermite - three points are 0, +-sqrt(3) with weights 2/3, 1/6', () => {
    const rule = gaussHermiteNormal(3);
    expect(rule.nodes[0]).toBeCloseTo(-Math.sqrt(3), 13);
    expect(rule.nodes[1]).toBe(0);
    expect(rule.weights[1]).toBeCloseTo(2 / 3, 13);
    expect(rule.weights[2]).toBeCloseTo(1 / 6, 13);
  });

  it.each([5, 21, 61, 150])('gauss-hermite - %i points integrate normal moments exactly', (points) => {
    const rule = gaussHermiteNormal(points);
    const moment = (power: number): number => rule.nodes.reduce((sum, z, k) => sum + rule.weights[k]! * z ** power, 0);
    // E[Z^(2m)] = (2m - 1)!!, exact for 2m <= 2 * points - 1.
    const doubleFactorial = [1, 1, 3, 15, 105, 945, 10395];
    for (let m = 0; m <= Math.min(6, points - 1); m++) {
      expect(moment(2 * m) / doubleFactorial[m]!).toBeCloseTo(1, 10);
      expect(moment(2 * m + 1)).toBeCloseTo(0, 8);
    }
    for (let k = 1; k < points; k++) expect(rule.nodes[k]! > rule.nodes[k - 1]!).toBe(true);
  });

  it('gauss-hermite - integrates a logistic item against the normal like a fine Riemann sum', () => {
    const f = (z: number): number => 1 / (1 + Math.exp(-(0.8 * z + 1.2)));
    const rule = gaussHermiteNormal(21);
    const quadrature = rule.nodes.reduce((sum, z, k) => sum + rule.weights[k]! * f(z), 0);
    let riemann = 0;
    const step = 1e-3;
    for (let z = -10; z <= 10; z += step) riemann += (step * f(z) * Math.exp((-z * z) / 2)) / Math.sqrt(2 * Math.PI);
    expect(quadrature).toBeCloseTo(riemann, 8);
  });

  it('gauss-hermite - rejects a non-positive point count', () => {
    expect(() => gaussHermiteNormal(0)).toThrow(RangeError);
  });
});
