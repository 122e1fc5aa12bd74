import { IRT_ERROR_CODES, IrtFitError } from './errors.ts';
import type { ItemResponse, ResponseMatrixInput } from './types.ts';

/** One graded attempt of a learner at an item. */
export interface AttemptRecord {
  readonly learnerId: string;
  readonly itemId: string;
  readonly correct: boolean;
  /** Any comparable number (e.g. epoch ms); without it, input order decides which attempt was first. */
  readonly time?: number;
}

export interface FirstAttemptMatrix extends ResponseMatrixInput {
  readonly itemIds: readonly string[];
  /** Row order of `responses`. */
  readonly learnerIds: readonly string[];
}

/**
 * Learners x items matrix of first-attempt correctness; items a learner never attempted are null.
 * Items and learners keep their order of first appearance unless `itemIds` fixes the columns, in
 * which case attempts at other items are ignored.
 */
export function firstAttemptMatrix(
  attempts: Iterable<AttemptRecord>,
  options: { readonly itemIds?: readonly string[] } = {},
): FirstAttemptMatrix {
  const fixedItems = options.itemIds !== undefined;
  const itemIndex = new Map<string, number>((options.itemIds ?? []).map((id, index) => [id, index]));
  const learnerIndex = new Map<string, number>();
  // Earliest attempt per learner and item: [time, order, correct].
  const first = new Map<string, [number, number, boolean]>();
  let order = 0;
  for (const attempt of attempts) {
    const { learnerId, itemId, correct, time } = attempt;
    if (typeof learnerId !== 'string' || typeof itemId !== 'string' || typeof correct !== 'boolean') {
      throw new IrtFitError(
        IRT_ERROR_CODES.INVALID_INPUT,
        `attempt ${order}: learnerId, itemId (strings) and correct (boolean) are required`,
        { row: order },
      );
    }
    if (time !== undefined && !Number.isFinite(time)) {
      throw new IrtFitError(IRT_ERROR_CODES.INVALID_INPUT, `attempt ${order}: time must be a finite number`, { row: order });
    }
    order++;
    if (!itemIndex.has(itemId)) {
      if (fixedItems) continue;
      itemIndex.set(itemId, itemIndex.size);
    }
    if (!learnerIndex.has(learnerId)) learnerIndex.set(learnerId, learnerIndex.size);
    const key = `${learnerIndex.get(learnerId)!}\u0000${itemIndex.get(itemId)!}`;
    const candidate: [number, number, boolean] = [time ?? -Infinity, order, correct];
    const known = first.get(key);
    if (known === undefined || candidate[0] < known[0] || (candidate[0] === known[0] && candidate[1] < known[1])) {
      first.set(key, candidate);
    }
  }
  const responses: ItemResponse[][] = Array.from({ length: learnerIndex.size }, () =>
    Array.from({ length: itemIndex.size }, (): ItemResponse => null),
  );
  for (const [key, [, , correct]] of first) {
    const [learner, item] = key.split('\u0000').map(Number);
    responses[learner!]![item!] = correct ? 1 : 0;
  }
  return { type: 'matrix', responses, itemIds: [...itemIndex.keys()], learnerIds: [...learnerIndex.keys()] };
}
