import type { ItemResponse } from '../../src/fit/index.ts';

/** mulberry32: tiny seeded PRNG so simulated data sets are identical on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function standardNormal(random: () => number): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface SimulationSpec {
  readonly learners: number;
  readonly discriminations: readonly number[];
  readonly difficulties: readonly number[];
  /** Probability that a response is missing. */
  readonly missing?: number;
  readonly seed: number;
}

/** Responses from the 2PL P(x = 1 | z) = 1 / (1 + exp(-a (z - b))), z ~ N(0, 1). */
export function simulateResponses(spec: SimulationSpec): ItemResponse[][] {
  const random = seededRandom(spec.seed);
  const rows: ItemResponse[][] = [];
  for (let i = 0; i < spec.learners; i++) {
    const z = standardNormal(random);
    rows.push(
      spec.discriminations.map((a, j): ItemResponse => {
        const correct = random() < 1 / (1 + Math.exp(-a * (z - spec.difficulties[j]!)));
        if (spec.missing !== undefined && random() < spec.missing) return null;
        return correct ? 1 : 0;
      }),
    );
  }
  return rows;
}
