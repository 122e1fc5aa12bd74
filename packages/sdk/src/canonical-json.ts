/**
 * Canonical JSON: object keys sorted (by UTF-16 code units, as RFC 8785 / JCS) at every level,
 * no whitespace, `undefined` members dropped. The same value always gives the same string,
 * whatever order its keys arrived in, so it can be hashed into a stable id (event ids are
 * JetStream message ids: this output must never change; canonical-json.test.ts pins it to
 * `JSON.stringify` of a key-sorted copy).
 *
 * Same output as `JSON.stringify` of a key-sorted copy (Dates become ISO strings, non-finite
 * numbers `null`), written in one pass without copying objects: it runs on every imported event.
 * Events of one log repeat the same few key lists, so each list is sorted once and its sorted
 * order (with its members already quoted) is reused instead of sorting and quoting every time.
 */
export function canonicalJson(value: unknown): string {
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
