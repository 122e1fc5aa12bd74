import { IRT_ERROR_CODES, IrtFitError } from './errors.ts';
import type { DegenerateItem } from './errors.ts';
import type { ResponseSet } from './response-set.ts';
import type { IrtModel } from './types.ts';

/**
 * Items needed for the model to be identified from the 2^J pattern table: the 1PL slope needs two
 * items to covary, and the 2PL needs 2J free parameters <= 2^J - 1 cells, so J >= 3.
 */
export const MIN_ITEMS: Readonly<Record<IrtModel, number>> = Object.freeze({ rasch: 1, '1pl': 2, '2pl': 3 });

/** Items whose maximum-likelihood difficulty is infinite (or undefined) under every model. */
export function findDegenerateItems(set: ResponseSet): DegenerateItem[] {
  const found: DegenerateItem[] = [];
  for (let j = 0; j < set.itemCount; j++) {
    const responses = set.itemResponses[j]!;
    const correct = set.itemCorrect[j]!;
    const itemId = set.itemIds[j]!;
    if (responses === 0) found.push({ itemId, itemIndex: j, reason: 'no-responses' });
    else if (correct === responses) found.push({ itemId, itemIndex: j, reason: 'all-correct' });
    else if (correct === 0) found.push({ itemId, itemIndex: j, reason: 'all-incorrect' });
  }
  return found;
}

const REASON_TEXT: Readonly<Record<DegenerateItem['reason'], string>> = {
  'all-correct': 'everybody who answered got it right',
  'all-incorrect': 'everybody who answered got it wrong',
  'no-responses': 'nobody answered it',
};

/** Throw a coded error naming every item that makes the data unfittable. */
export function assertFittable(set: ResponseSet, model: IrtModel): void {
  const degenerate = findDegenerateItems(set);
  if (degenerate.length > 0) {
    const list = degenerate.map((item) => `${item.itemId} (${REASON_TEXT[item.reason]})`).join('; ');
    throw new IrtFitError(
      IRT_ERROR_CODES.DEGENERATE_ITEMS,
      `cannot estimate ${degenerate.length === 1 ? 'item' : 'items'} ${list}: remove ${degenerate.length === 1 ? 'it' : 'them'} and fit again`,
      { degenerateItems: degenerate },
    );
  }
  const needed = MIN_ITEMS[model];
  if (set.itemCount < needed) {
    throw new IrtFitError(
      IRT_ERROR_CODES.TOO_FEW_ITEMS,
      `the ${model} model needs at least ${needed} items, got ${set.itemCount}`,
    );
  }
}
