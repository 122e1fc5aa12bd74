/**
 * Mesh errors: one class, a stable `code` and structured fields. Code that inspects errors checks
 * `code` (see `isInsightsError`), never `instanceof` alone: two copies of this package in one
 * process would break `instanceof`.
 */

/** Every error code the mesh uses, with its gRPC status and HTTP status. One table, one place. */
export const ERROR_CODES = {
  CANCELLED: { grpc: 1, http: 499 },
  INVALID_ARGUMENT: { grpc: 3, http: 400 },
  DEADLINE_EXCEEDED: { grpc: 4, http: 504 },
  NOT_FOUND: { grpc: 5, http: 404 },
  ALREADY_EXISTS: { grpc: 6, http: 409 },
  PERMISSION_DENIED: { grpc: 7, http: 403 },
  RESOURCE_EXHAUSTED: { grpc: 8, http: 429 },
  FAILED_PRECONDITION: { grpc: 9, http: 412 },
  UNIMPLEMENTED: { grpc: 12, http: 501 },
  INTERNAL: { grpc: 13, http: 500 },
  UNAVAILABLE: { grpc: 14, http: 503 },
  UNAUTHENTICATED: { grpc: 16, http: 401 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes a client may retry on another replica (the call never ran, or ran nowhere that matters). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE']);

/** Codes a module's own code may throw with; anything else it throws becomes INTERNAL. */
export const MODULE_THROWABLE_CODES: ReadonlySet<ErrorCode> = new Set([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'FAILED_PRECONDITION',
  'PERMISSION_DENIED',
  'ALREADY_EXISTS',
]);

export interface ErrorFields {
  /** The parameter at fault (INVALID_ARGUMENT). */
  parameter?: string | undefined;
  /** Names the caller may have meant (NOT_FOUND). */
  suggestions?: readonly string[] | undefined;
  /** `<module>.<name>` of the analytic involved. */
  analytic?: string | undefined;
  cause?: unknown;
}

export class InsightsError extends Error {
  override readonly name = 'InsightsError';
  readonly code: ErrorCode;
  readonly parameter: string | undefined;
  readonly suggestions: readonly string[];
  readonly analytic: string | undefined;

  constructor(code: ErrorCode, message: string, fields: ErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.parameter = fields.parameter;
    this.suggestions = fields.suggestions ?? [];
    this.analytic = fields.analytic;
  }

  /** Plain, cloneable form for crossing process and wire boundaries. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      ...(this.parameter === undefined ? {} : { parameter: this.parameter }),
      ...(this.suggestions.length === 0 ? {} : { suggestions: [...this.suggestions] }),
      ...(this.analytic === undefined ? {} : { analytic: this.analytic }),
    };
  }

  static fromJSON(e: SerializedError): InsightsError {
    return new InsightsError(isErrorCode(e.code) ? e.code : 'INTERNAL', e.message, e);
  }
}

export interface SerializedError {
  code: string;
  message: string;
  parameter?: string;
  suggestions?: string[];
  analytic?: string;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

export function isInsightsError(e: unknown): e is InsightsError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'InsightsError' &&
    isErrorCode((e as { code?: unknown }).code)
  );
}

export function codeForGrpcStatus(status: number): ErrorCode {
  for (const [code, m] of Object.entries(ERROR_CODES)) if (m.grpc === status) return code as ErrorCode;
  return status === 2 ? 'INTERNAL' : 'UNAVAILABLE';
}

/** Shorthands module authors use to fail with a meaningful code instead of INTERNAL. */
export const invalidArgument = (parameter: string, message: string): InsightsError =>
  new InsightsError('INVALID_ARGUMENT', `${parameter}: ${message}`, { parameter });
export const notFound = (message: string): InsightsError => new InsightsError('NOT_FOUND', message);
