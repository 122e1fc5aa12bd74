/**
 * Stable event ids, so the same event ingested twice (a log re-imported, an HTTP retry) dedupes.
 *
 * The event's own id where the format has one: xAPI statements and Caliper events carry `id`.
 * edX tracking-log and processed events carry none (checked on every event of the real logs and
 * event-routing-backends fixtures), so they get `sha256(canonicalJson(raw))`, truncated to 128
 * bits (32 hex digits): key order and transport framing (log prefix, HTTP body) do not change it.
 *
 * The ids are JetStream message ids: they must never change. `hashEventId` of the SDK defines
 * them; `canonicalEventJson` below writes the very same string as the SDK's `canonicalJson`
 * (tests compare the two on every real event), only faster on the import hot path: event objects
 * of one log repeat the same few key lists, so each list is sorted once and its sorted order
 * (with its members already quoted) is reused instead of sorting and quoting on every event.
 */
import { hash } from 'node:crypto';
import { HASH_ID_HEX_LENGTH } from '@insights/sdk';

export { hashEventId, HASH_ID_HEX_LENGTH } from '@insights/sdk';

/** The event's own id if it carries one (xAPI/Caliper `id`), else the hash of its canonical form. */
export function eventId(raw: unknown): string {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const r = raw as Record<string, unknown>;
    if (typeof r['id'] === 'string' && r['id'] !== '' && isStatementLike(r)) return r['id'];
  }
  // Same bytes as the SDK's hashEventId (sha256 of the canonical JSON, first 128 bits as hex).
  return hash('sha256', canonicalEventJson(raw), 'hex').slice(0, HASH_ID_HEX_LENGTH);
}

/** xAPI statement (actor + verb) or Caliper event (`@context` + action): formats whose `id` is the event's. */
function isStatementLike(r: Record<string, unknown>): boolean {
  return ('verb' in r && 'actor' in r) || ('@context' in r && 'action' in r);
}

/**
 * The SDK's `canonicalJson`, character for character: keys sorted by UTF-16 code units at every
 * level, no whitespace, `undefined` (and function, symbol) members dropped, Dates as ISO strings,
 * non-finite numbers `null`, BigInt a TypeError.
 */
export function canonicalEventJson(value: unknown): string {
  return write(value) ?? 'null';
}

/** Characters JSON.stringify escapes (quote, backslash, controls) or checks (surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** One key list as `Object.keys` returned it, and what writing such an object needs. */
interface KeyOrder {
  readonly keys: readonly string[];
  /** The keys sorted. */
  readonly sorted: readonly string[];
  /** `"key":` for each sorted key. */
  readonly members: readonly string[];
}

// Key lists by their first key (JSON.parse interns keys, so lookups and compares are cheap).
// Bounded so that odd data (answer maps keyed by input id) cannot grow it without limit.
const ORDERS = new Map<string, KeyOrder[]>();
const ORDERS_MAX = 4096;
const ORDERS_PER_FIRST_KEY = 16;
let orderCount = 0;

function orderOf(keys: string[]): KeyOrder {
  const n = keys.length;
  const candidates = ORDERS.get(keys[0] as string);
  if (candidates !== undefined) {
    next: for (const o of candidates) {
      const known = o.keys;
      if (known.length !== n) continue;
      for (let i = 1; i < n; i++) if (known[i] !== keys[i]) continue next;
      return o;
    }
  }
  const sorted = keys.slice().sort();
  const order: KeyOrder = { keys, sorted, members: sorted.map((k) => quote(k) + ':') };
  if (orderCount < ORDERS_MAX) {
    if (candidates === undefined) {
      ORDERS.set(keys[0] as string, [order]);
      orderCount++;
    } else if (candidates.length < ORDERS_PER_FIRST_KEY) {
      candidates.push(order);
      orderCount++;
    }
  }
  return order;
}

function write(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt is not JSON');
    default:
      return undefined; // undefined, functions, symbols: dropped like JSON.stringify does
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      out += write(v[i]) ?? 'null';
    }
    return out + ']';
  }
  if (v instanceof Date) return quote(v.toISOString());
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  const n = keys.length;
  if (n === 0) return '{}';
  if (n === 1) {
    const k = keys[0] as string;
    const s = write(obj[k]);
    return s === undefined ? '{}' : '{' + quote(k) + ':' + s + '}';
  }
  const { sorted, members } = orderOf(keys);
  let out = '{';
  let first = true;
  for (let i = 0; i < n; i++) {
    const s = write(obj[sorted[i] as string]);
    if (s === undefined) continue;
    out += first ? members[i] + s : ',' + members[i] + s;
    first = false;
  }
  return out + '}';
}
