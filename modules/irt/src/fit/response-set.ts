import { IRT_ERROR_CODES, IrtFitError } from './errors.ts';
import type { IrtInput, ItemResponse } from './types.ts';

/**
 * Distinct response patterns with their learner counts, stored sparsely (observed items only) so
 * every likelihood pass costs patterns x observed items x nodes, whatever the share of missing.
 */
export interface ResponseSet {
  readonly itemIds: readonly string[];
  readonly itemCount: number;
  readonly patternCount: number;
  /** Observed responses of pattern p are at [offsets[p], offsets[p + 1]). */
  readonly offsets: Uint32Array;
  /** Item index of each observed response, ascending within a pattern. */
  readonly items: Uint32Array;
  /** 1 correct, 0 incorrect. */
  readonly values: Uint8Array;
  /** Learners with each pattern (may be fractional weights). */
  readonly counts: Float64Array;
  readonly learners: number;
  readonly learnersWithoutResponses: number;
  /** Weighted responses and correct responses per item. */
  readonly itemResponses: Float64Array;
  readonly itemCorrect: Float64Array;
}

function invalid(message: string, row?: number, column?: number): IrtFitError {
  return new IrtFitError(IRT_ERROR_CODES.INVALID_INPUT, message, {
    ...(row === undefined ? {} : { row }),
    ...(column === undefined ? {} : { column }),
  });
}

function resolveItemIds(itemIds: readonly string[] | undefined, firstRow: readonly unknown[] | undefined): string[] {
  if (itemIds !== undefined) {
    if (!Array.isArray(itemIds)) throw invalid('itemIds must be an array of strings');
    const seen = new Set<string>();
    for (const [index, id] of itemIds.entries()) {
      if (typeof id !== 'string' || id.length === 0) throw invalid(`itemIds[${index}] must be a non-empty string`);
      if (seen.has(id)) throw invalid(`itemIds has a duplicate: ${id}`);
      seen.add(id);
    }
    return [...itemIds];
  }
  const count = firstRow?.length ?? 0;
  return Array.from({ length: count }, (_, index) => `item-${index + 1}`);
}

/** Encode one row as a map key ('0', '1', '.'), validating every value. */
function encodeRow(row: readonly ItemResponse[], rowIndex: number, itemCount: number): string {
  if (!Array.isArray(row)) throw invalid(`row ${rowIndex} is not an array`, rowIndex);
  if (row.length !== itemCount) {
    throw invalid(`row ${rowIndex} has ${row.length} responses, expected ${itemCount}`, rowIndex);
  }
  let key = '';
  for (let j = 0; j < itemCount; j++) {
    const value: unknown = row[j];
    if (value === 1) key += '1';
    else if (value === 0) key += '0';
    else if (value === null) key += '.';
    else throw invalid(`row ${rowIndex}, item ${j}: response must be 1, 0 or null, got ${String(value)}`, rowIndex, j);
  }
  return key;
}

/** Validate the input and collapse identical rows into weighted patterns. */
export function buildResponseSet(input: IrtInput): ResponseSet {
  if (typeof input !== 'object' || input === null) throw invalid('input must be an object');
  let rows: readonly (readonly ItemResponse[])[];
  let weights: readonly number[] | undefined;
  if (input.type === 'matrix') {
    rows = input.responses;
  } else if (input.type === 'patterns') {
    rows = input.patterns;
    weights = input.frequencies;
    if (!Array.isArray(weights) || weights.length !== rows.length) {
      throw invalid(`frequencies must be an array with one count per pattern (${Array.isArray(rows) ? rows.length : 0})`);
    }
  } else {
    throw invalid(`input.type must be 'matrix' or 'patterns', got ${String((input as { type?: unknown }).type)}`);
  }
  if (!Array.isArray(rows)) throw invalid('responses/patterns must be an array of rows');
  if (rows.length === 0) throw new IrtFitError(IRT_ERROR_CODES.EMPTY_DATA, 'there are no learners');
  const itemIds = resolveItemIds(input.itemIds, rows[0]);
  const itemCount = itemIds.length;
  if (itemCount === 0) throw new IrtFitError(IRT_ERROR_CODES.EMPTY_DATA, 'there are no items');

  const byKey = new Map<string, number>();
  const keys: string[] = [];
  const keyCounts: number[] = [];
  let learnersWithoutResponses = 0;
  const emptyKey = '.'.repeat(itemCount);
  for (let r = 0; r < rows.length; r++) {
    const key = encodeRow(rows[r]!, r, itemCount);
    const weight = weights === undefined ? 1 : weights[r]!;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw invalid(`frequency of pattern ${r} must be a finite non-negative number, got ${String(weight)}`, r);
    }
    if (weight === 0) continue;
    if (key === emptyKey) {
      learnersWithoutResponses += weight;
      continue;
    }
    const existing = byKey.get(key);
    if (existing === undefined) {
      byKey.set(key, keys.length);
      keys.push(key);
      keyCounts.push(weight);
    } else {
      keyCounts[existing]! += weight;
    }
  }
  if (keys.length === 0) throw new IrtFitError(IRT_ERROR_CODES.EMPTY_DATA, 'no learner has an observed response');

  let observed = 0;
  for (const key of keys) for (let j = 0; j < itemCount; j++) if (key.charCodeAt(j) !== 46) observed++;
  const offsets = new Uint32Array(keys.length + 1);
  const items = new Uint32Array(observed);
  const values = new Uint8Array(observed);
  const counts = Float64Array.from(keyCounts);
  const itemResponses = new Float64Array(itemCount);
  const itemCorrect = new Float64Array(itemCount);
  let cursor = 0;
  let learners = 0;
  for (let p = 0; p < keys.length; p++) {
    const key = keys[p]!;
    const count = counts[p]!;
    learners += count;
    for (let j = 0; j < itemCount; j++) {
      const code = key.charCodeAt(j);
      if (code === 46) continue; // '.'
      items[cursor] = j;
      values[cursor] = code === 49 ? 1 : 0;
      itemResponses[j]! += count;
      if (code === 49) itemCorrect[j]! += count;
      cursor++;
    }
    offsets[p + 1] = cursor;
  }
  return {
    itemIds,
    itemCount,
    patternCount: keys.length,
    offsets,
    items,
    values,
    counts,
    learners,
    learnersWithoutResponses,
    itemResponses,
    itemCorrect,
  };
}
