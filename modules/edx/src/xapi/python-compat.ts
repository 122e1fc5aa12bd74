/**
 * The few Python behaviours event-routing-backends' statements depend on, reproduced exactly so
 * our statements (and their uuid5 ids) equal the ones Open edX emits:
 * truthiness, `str()` of dicts and lists, `json.dumps`, `"{:.3f}"` rounding, `datetime.isoformat()`,
 * tincan's ISO-8601 durations and `uuid.uuid5`.
 *
 * Known gap: JSON has one number type, so a float with an integral value (`1.0`) prints as `1`
 * where Python would print `1.0`. It only matters inside `str()`/`json.dumps` output of answers.
 */
import { createHash } from 'node:crypto';

/** Python's `bool(v)` for JSON values. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') {
    for (const _ in v) return true;
    return false;
  }
  return true;
}

/** Python `a or b`. */
export function pyOr<T>(a: T, b: () => T): T {
  return pyTruthy(a) ? a : b();
}

/** Python's `str()` of a JSON value (`{'a': ['b', 1, True, None]}`). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (typeof v === 'object') {
    return (
      '{' +
      Object.entries(v)
        .map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`)
        .join(', ') +
      '}'
    );
  }
  return String(v);
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n); // see the known gap above; exponents also differ (1e+21 vs 1e+21): same here
}

/** `repr(str)`: single quotes unless the text has `'` and no `"`; escapes as CPython does. */
function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (!isPrintable(c)) out += c <= 0xff ? '\\x' + hex(c, 2) : c <= 0xffff ? '\\u' + hex(c, 4) : '\\U' + hex(c, 8);
    else out += ch;
  }
  return out + quote;
}

function hex(c: number, width: number): string {
  return c.toString(16).padStart(width, '0');
}

/** Approximates `str.isprintable()`: control, separator (but space) and unassigned characters are not. */
const NON_PRINTABLE_RE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
function isPrintable(c: number): boolean {
  if (c < 0x7f) return c >= 0x20;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return !NON_PRINTABLE_RE.test(String.fromCodePoint(c));
}

/** `json.dumps(v, ensure_ascii=...)` with Python's default `', '` and `': '` separators. */
export function pyJsonDumps(v: unknown, ensureAscii = true): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'string') return pyJsonString(v, ensureAscii);
  if (Array.isArray(v)) return '[' + v.map((x) => pyJsonDumps(x, ensureAscii)).join(', ') + ']';
  if (typeof v === 'object') {
    return (
      '{' +
      Object.entries(v)
        .map(([k, x]) => `${pyJsonString(k, ensureAscii)}: ${pyJsonDumps(x, ensureAscii)}`)
        .join(', ') +
      '}'
    );
  }
  return 'null';
}

function pyJsonString(s: string, ensureAscii: boolean): string {
  // JSON.stringify escapes what Python escapes (quote, backslash, controls) with the same short forms.
  const json = JSON.stringify(s);
  if (!ensureAscii) return json;
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    out += c > 0x7e ? '\\u' + hex(c, 4) : json[i];
  }
  return out;
}

/**
 * `float("{0:.3f}".format(float(seconds)))`, i.e. event-routing-backends' `convert_seconds_to_float`,
 * with `None` for missing or empty input. Python rounds exact binary ties to even; toFixed rounds
 * them up, so ties are detected and corrected.
 */
export function secondsToFloat(seconds: unknown): number | undefined {
  if (seconds === null || seconds === undefined || (seconds !== 0 && !pyTruthy(seconds))) return undefined;
  const x = typeof seconds === 'number' ? seconds : Number(seconds);
  if (!Number.isFinite(x)) return undefined;
  let fixed = x.toFixed(3);
  if (/\.\d{3}50{16}$/.test(x.toFixed(20))) {
    const down = Math.trunc(x * 1000) / 1000;
    const lastDigit = Number(fixed.slice(-1));
    if (lastDigit % 2 === 1) fixed = down.toFixed(3);
  }
  return Number(fixed);
}

/**
 * tincan's `jsonify_timedelta`: seconds -> `PT03M15S`, `PT01H00M00S`, `P1DT00H00M01.5S`
 * (hours and minutes zero-padded once a larger unit exists, fractional seconds `%09.6f` trimmed).
 */
export function isoDuration(totalSeconds: number): string {
  // timedelta keeps whole microseconds: 59.9999999 s is one minute.
  const micros = Math.round(totalSeconds * 1e6);
  let minutes = Math.floor(micros / 60e6);
  const seconds = (micros - minutes * 60e6) / 1e6;
  let hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const days = Math.floor(hours / 24);
  hours -= days * 24;
  const date = days !== 0 ? `${days}D` : '';
  let time = 'T';
  let bigger = date !== '' || hours !== 0;
  if (bigger) time += String(hours).padStart(2, '0') + 'H';
  bigger = bigger || minutes !== 0;
  if (bigger) time += String(minutes).padStart(2, '0') + 'M';
  const secs = Number.isInteger(seconds)
    ? String(seconds).padStart(2, '0')
    : seconds.toFixed(6).padStart(9, '0').replace(/0+$/, '');
  return `P${date}${time}${secs}S`;
}

const ISO_PARTS_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * `aniso8601.parse_datetime(s).isoformat()` as tincan stores statement timestamps: the offset
 * kept (`Z` becomes `+00:00`), microseconds only when non-zero. Upstream rejects naive times;
 * we read them as UTC, like the rest of this module. Undefined if `s` is not ISO-8601.
 */
export function pyIsoformat(s: string): string | undefined {
  const m = ISO_PARTS_RE.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec = '00', frac, zone] = m;
  const micro = frac === undefined ? 0 : Number(frac.slice(0, 6).padEnd(6, '0'));
  let offset = '+00:00';
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    offset = `${zone[0]}${digits.slice(0, 2)}:${digits.length > 2 ? digits.slice(2, 4) : '00'}`;
    if (offset === '-00:00') offset = '+00:00';
  }
  const fraction = micro === 0 ? '' : '.' + String(micro).padStart(6, '0');
  return `${y}-${mo}-${d}T${h}:${mi}:${sec}${fraction}${offset}`;
}

/** RFC 4122 name-based UUID, version 5 (SHA-1), as Python's `uuid.uuid5(namespace, name)`. */
export function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new TypeError(`uuid5: namespace is not a UUID: ${namespace}`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
