/**
 * Coded errors of the IRT fitter. Guards check `code`, never `instanceof` alone, because duplicate
 * package copies break `instanceof`.
 */
export const IRT_ERROR_CODES = {
  /** Options out of range (quadrature points, iteration limits, tolerance, model name). */
  INVALID_OPTIONS: 'IRT_INVALID_OPTIONS',
  /** The input is not a well-formed response matrix or pattern table. */
  INVALID_INPUT: 'IRT_INVALID_INPUT',
  /** No learner has an observed response, or there are no items. */
  EMPTY_DATA: 'IRT_EMPTY_DATA',
  /** Fewer items than the model needs to be identified. */
  TOO_FEW_ITEMS: 'IRT_TOO_FEW_ITEMS',
  /** An item everybody got right, everybody got wrong, or nobody answered: its difficulty is infinite. */
  DEGENERATE_ITEMS: 'IRT_DEGENERATE_ITEMS',
} as const;

export type IrtErrorCode = (typeof IRT_ERROR_CODES)[keyof typeof IRT_ERROR_CODES];

/** Why an item cannot be fitted. */
export type DegenerateReason = 'all-correct' | 'all-incorrect' | 'no-responses';

export interface DegenerateItem {
  readonly itemId: string;
  readonly itemIndex: number;
  readonly reason: DegenerateReason;
}

export interface IrtFitErrorDetails {
  /** Items that make the data unfittable (DEGENERATE_ITEMS). */
  readonly degenerateItems?: readonly DegenerateItem[];
  /** Row (learner or pattern) and column (item) of a bad value (INVALID_INPUT). */
  readonly row?: number;
  readonly column?: number;
  /** Option name (INVALID_OPTIONS). */
  readonly option?: string;
}

export class IrtFitError extends Error {
  override readonly name = 'IrtFitError' as const;
  readonly code: IrtErrorCode;
  readonly details: IrtFitErrorDetails;

  constructor(code: IrtErrorCode, message: string, details: IrtFitErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(IRT_ERROR_CODES));

/** True for an IrtFitError, also one made by another copy of this package. */
export function isIrtFitError(value: unknown): value is IrtFitError {
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && KNOWN_CODES.has(code) && (value as { name?: unknown }).name === 'IrtFitError';
}
