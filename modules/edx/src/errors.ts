/**
 * Coded errors of the edX data layer. Callers check `code` (see `isEdxDataError`), never
 * `instanceof` alone: two copies of this package in one process would break `instanceof`.
 */

/** Every code this module raises, with what it means. A test lists them all. */
export const EDX_ERROR_CODES = {
  /** The raw event is not a JSON object (array, string, null, ...). */
  EDX_NOT_AN_OBJECT: 'the raw event is not a JSON object',
  /** No event type: none of `name`, `event_type` (edX) or `verb.id` (xAPI) is a non-empty string. */
  EDX_MISSING_TYPE: 'the event has no type',
  /** No time: none of `time`, `timestamp` (edX) or `timestamp`, `stored` (xAPI). */
  EDX_MISSING_TIME: 'the event has no time',
  /** The time field is present but is not an ISO-8601 date-time. */
  EDX_BAD_TIME: 'the event time is not an ISO-8601 date-time',
  /** xAPI conversion: no transformer for this event type. */
  XAPI_UNSUPPORTED_EVENT: 'no xAPI transformer for this event type',
  /** xAPI conversion: a field the transformer requires is missing or empty. */
  XAPI_MISSING_FIELD: 'a field required for the xAPI statement is missing',
} as const;

export type EdxErrorCode = keyof typeof EDX_ERROR_CODES;

export interface EdxDataErrorFields {
  /** The field at fault, as a dotted path into the raw event (`context.course_id`, `time`). */
  readonly field?: string | undefined;
  readonly cause?: unknown;
}

export class EdxDataError extends Error {
  override readonly name = 'EdxDataError';
  readonly code: EdxErrorCode;
  readonly field: string | undefined;

  constructor(code: EdxErrorCode, message: string, fields: EdxDataErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.field = fields.field;
  }
}

export function isEdxDataError(e: unknown): e is EdxDataError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'EdxDataError' &&
    typeof (e as { code?: unknown }).code === 'string' &&
    Object.hasOwn(EDX_ERROR_CODES, (e as { code: string }).code)
  );
}
