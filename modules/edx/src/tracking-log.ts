/**
 * One line of an Open edX tracking log -> a raw event object, a skipped line or a parse error.
 *
 * Accepted line shapes:
 *  - a plain JSON object per line (`tracking.log` as written by the LMS);
 *  - a logging prefix before the JSON, e.g. the Tutor format
 *    `2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - {json}`.
 *    Like upstream's `PATTERN_JSON` (`^.*?(\{.*\})\s*$`), the JSON starts at the first `{`.
 * Blank lines and `#` comment lines are skipped and reported as such, never as errors.
 */

export type RawEvent = Record<string, unknown>;

export interface ParsedEventLine {
  readonly kind: 'event';
  readonly ok: true;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly event: RawEvent;
}

export interface SkippedLine {
  readonly kind: 'skip';
  readonly ok: true;
  readonly line: number;
  readonly skip: 'blank' | 'comment';
}

export interface LineParseError {
  readonly kind: 'error';
  readonly ok: false;
  readonly line: number;
  readonly reason: string;
}

export type ParsedLine = ParsedEventLine | SkippedLine | LineParseError;

const OPEN_BRACE = 0x7b; // '{'
const HASH = 0x23; // '#'

/** True for the characters `String.prototype.trim` would drop that can start a log line. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0xfeff || c === 0x0b || c === 0x0c;
}

export function parseTrackingLogLine(text: string, line: number): ParsedLine {
  // Fast path: the common case is a line that starts with `{` (no trim, no search).
  let start = 0;
  const n = text.length;
  while (start < n && isSpace(text.charCodeAt(start))) start++;
  if (start === n) return { kind: 'skip', ok: true, line, skip: 'blank' };
  const first = text.charCodeAt(start);
  if (first === HASH) return { kind: 'skip', ok: true, line, skip: 'comment' };
  if (first !== OPEN_BRACE) {
    start = text.indexOf('{', start);
    if (start < 0) return { kind: 'error', ok: false, line, reason: 'no JSON object on the line' };
  }
  let value: unknown;
  try {
    // JSON.parse tolerates trailing whitespace and `\r`, so no slicing at the end.
    value = JSON.parse(start === 0 ? text : text.slice(start));
  } catch (e) {
    return { kind: 'error', ok: false, line, reason: `invalid JSON: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'error', ok: false, line, reason: 'the JSON value is not an object' };
  }
  return { kind: 'event', ok: true, line, event: value as RawEvent };
}
