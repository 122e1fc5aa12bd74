/**
 * ISO-8601 date-times as edX and xAPI write them -> `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC).
 *
 * edX `time` is `datetime.utcnow().isoformat()` in old logs (no zone: it is UTC) and carries
 * `+00:00` in newer ones; xAPI timestamps carry `Z` or an offset. Fractions beyond milliseconds are
 * truncated, not rounded, so an event never moves into the next second.
 */

// date, `T` or space, time, optional fraction (`.` or `,`), optional zone.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Returns the normalised time, or undefined if `value` is not an ISO-8601 date-time. */
export function normaliseTime(value: string): string | undefined {
  return utcFastPath(value) ?? normaliseTimeRe(value);
}

/** `0`-`9` as its value, anything else as a negative number. */
function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : -100;
}

/**
 * The shapes of almost every event, checked and joined without a regular expression: date `T`
 * time with seconds, an optional `.` fraction, and no zone, `Z` or `+00:00` (UTC already, so the
 * output is the input's fields re-joined). Undefined for anything else (then the full parser
 * decides, invalid dates included), so it never accepts what the regular expression rejects.
 */
function utcFastPath(s: string): string | undefined {
  const n = s.length;
  if (n < 19 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d || s.charCodeAt(10) !== 0x54) return undefined;
  if (s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) return undefined;
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const month = digit(s, 5) * 10 + digit(s, 6);
  const day = digit(s, 8) * 10 + digit(s, 9);
  const hour = digit(s, 11) * 10 + digit(s, 12);
  const minute = digit(s, 14) * 10 + digit(s, 15);
  const second = digit(s, 17) * 10 + digit(s, 18);
  // A non-digit makes its field negative (-100 outweighs the other digits).
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let end = 19; // end of the fraction
  let ms = '000';
  if (end < n && s.charCodeAt(end) === 0x2e) {
    end++;
    while (end < n && digit(s, end) >= 0) end++;
    const digits = end - 20;
    if (digits === 0) return undefined;
    ms = digits >= 3 ? s.slice(20, 23) : s.slice(20, end).padEnd(3, '0');
  }
  const zone = n - end;
  if (zone !== 0) {
    if (zone === 1) {
      const z = s.charCodeAt(end);
      if (z !== 0x5a && z !== 0x7a) return undefined; // Z or z
    } else if (zone !== 6 || !s.endsWith('+00:00')) {
      return undefined;
    }
  }
  return `${s.slice(0, 10)}T${s.slice(11, 19)}.${ms}Z`;
}

/** Every accepted shape: space or `T`, `,` fractions, no seconds, offsets, years before 1000. */
function normaliseTimeRe(value: string): string | undefined {
  const m = ISO_RE.exec(value);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[8];
  const utc = zone === undefined || zone === 'Z' || zone === 'z' || zone === '+00:00' || zone === '+0000' || zone === '+00';
  // Fast path (almost every event): already UTC, so the output is the same fields re-joined.
  if (utc && year >= 1000) {
    const msText = m[7] === undefined ? '000' : m[7].length >= 3 ? m[7].slice(0, 3) : m[7].padEnd(3, '0');
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}.${msText}Z`;
  }
  let epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC maps years 0-99 to 1900-1999.
  if (year < 100) epoch = new Date(epoch).setUTCFullYear(year);
  if (zone !== undefined && !utc) {
    const sign = zone.charCodeAt(0) === 0x2d ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
    epoch -= sign * offsetMin * 60_000;
  }
  return new Date(epoch).toISOString();
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
