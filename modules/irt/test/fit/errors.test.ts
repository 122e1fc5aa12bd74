import { describe, expect, it } from 'vitest';
import { IRT_ERROR_CODES, fitIrt, isIrtFitError } from '../../src/fit/index.ts';
import type { IrtFitOptions, IrtInput, ItemResponse, IrtFitError } from '../../src/fit/index.ts';

const GOOD: ItemResponse[][] = [
  [1, 0, 1],
  [0, 1, 1],
  [1, 1, 0],
  [0, 0, 1],
  [1, 0, 0],
];

function caught(input: IrtInput, options: IrtFitOptions = { model: '2pl' }): IrtFitError {
  try {
    fitIrt(input, options);
  } catch (error) {
    expect(isIrtFitError(error)).toBe(true);
    return error as IrtFitError;
  }
  throw new Error('expected fitIrt to throw');
}

describe('irt fit - errors', () => {
  it('errors - every code is listed and stable', () => {
    expect(IRT_ERROR_CODES).toEqual({
      INVALID_OPTIONS: 'IRT_INVALID_OPTIONS',
      INVALID_INPUT: 'IRT_INVALID_INPUT',
      EMPTY_DATA: 'IRT_EMPTY_DATA',
      TOO_FEW_ITEMS: 'IRT_TOO_FEW_ITEMS',
      DEGENERATE_ITEMS: 'IRT_DEGENERATE_ITEMS',
    });
  });

  it('errors - an item everybody got right is named, with the reason', () => {
    const responses: ItemResponse[][] = GOOD.map((row) => [...row, 1]);
    const error = caught({ type: 'matrix', responses, itemIds: ['q1', 'q2', 'q3', 'fractions-7'] });
    expect(error.code).toBe('IRT_DEGENERATE_ITEMS');
    expect(error.name).toBe('IrtFitError');
    expect(error.message).toContain('fractions-7');
    expect(error.message).toContain('everybody who answered got it right');
    expect(error.details.degenerateItems).toEqual([{ itemId: 'fractions-7', itemIndex: 3, reason: 'all-correct' }]);
  });

  it('errors - all-wrong and unanswered items are all reported at once', () => {
    const responses: ItemResponse[][] = GOOD.map((row) => [0, ...row, null]);
    const error = caught({ type: 'matrix', responses }, { model: 'rasch' });
    expect(error.code).toBe('IRT_DEGENERATE_ITEMS');
    expect(error.details.degenerateItems).toEqual([
      { itemId: 'item-1', itemIndex: 0, reason: 'all-incorrect' },
      { itemId: 'item-5', itemIndex: 4, reason: 'no-responses' },
    ]);
  });

  it('errors - a response that is not 1, 0 or null names its row and column', () => {
    const responses = GOOD.map((row) => [...row]) as unknown as ItemResponse[][];
    (responses[3] as unknown[])[2] = 'yes';
    const error = caught({ type: 'matrix', responses });
    expect(error.code).toBe('IRT_INVALID_INPUT');
    expect(error.details).toEqual({ row: 3, column: 2 });
  });

  it.each<[string, IrtInput]>([
    [
      'ragged rows',
      {
        type: 'matrix',
        responses: [
          [1, 0, 1],
          [1, 0],
        ],
      },
    ],
    ['negative frequency', { type: 'patterns', patterns: GOOD, frequencies: [1, 2, -1, 1, 1] }],
    ['frequency per pattern missing', { type: 'patterns', patterns: GOOD, frequencies: [1, 2] }],
    ['duplicate item ids', { type: 'matrix', responses: GOOD, itemIds: ['a', 'b', 'a'] }],
    ['unknown input type', { type: 'table', responses: GOOD } as unknown as IrtInput],
  ])('errors - invalid input: %s', (_, input) => {
    expect(caught(input).code).toBe('IRT_INVALID_INPUT');
  });

  it.each<[string, IrtInput]>([
    ['no learners', { type: 'matrix', responses: [], itemIds: ['a', 'b'] }],
    [
      'nobody answered anything',
      {
        type: 'matrix',
        responses: [
          [null, null],
          [null, null],
        ],
      },
    ],
    ['no items', { type: 'matrix', responses: [[], []] }],
    ['all frequencies zero', { type: 'patterns', patterns: GOOD, frequencies: [0, 0, 0, 0, 0] }],
  ])('errors - empty data: %s', (_, input) => {
    expect(caught(input).code).toBe('IRT_EMPTY_DATA');
  });

  it('errors - too few items for the model', () => {
    const two: ItemResponse[][] = GOOD.map((row) => row.slice(0, 2));
    expect(caught({ type: 'matrix', responses: two }, { model: '2pl' }).code).toBe('IRT_TOO_FEW_ITEMS');
    const one: ItemResponse[][] = GOOD.map((row) => row.slice(0, 1));
    expect(caught({ type: 'matrix', responses: one }, { model: '1pl' }).code).toBe('IRT_TOO_FEW_ITEMS');
    expect(fitIrt({ type: 'matrix', responses: one }, { model: 'rasch' }).items).toHaveLength(1);
  });

  it.each<[string, IrtFitOptions]>([
    ['model', { model: '3pl' } as unknown as IrtFitOptions],
    ['quadraturePoints', { model: '2pl', quadraturePoints: 1 }],
    ['quadraturePoints', { model: '2pl', quadraturePoints: 20.5 }],
    ['maxEmIterations', { model: '2pl', maxEmIterations: -1 }],
    ['tolerance', { model: '2pl', tolerance: 0 }],
  ])('errors - invalid option %s', (option, options) => {
    const error = caught({ type: 'matrix', responses: GOOD }, options);
    expect(error.code).toBe('IRT_INVALID_OPTIONS');
    expect(error.details.option).toBe(option);
  });

  it('errors - the guard checks name and code, so copies from another bundle still match', () => {
    expect(isIrtFitError({ name: 'IrtFitError', code: 'IRT_EMPTY_DATA', message: 'x' })).toBe(true);
    expect(isIrtFitError({ name: 'IrtFitError', code: 'SOMETHING_ELSE' })).toBe(false);
    expect(isIrtFitError(new Error('IRT_EMPTY_DATA'))).toBe(false);
    expect(isIrtFitError(null)).toBe(false);
  });
});
