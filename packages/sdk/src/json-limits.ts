/** How large and how deeply nested a JSON document from outside may be. */
export interface JsonLimits {
  /** Largest document, bytes (UTF-8). */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and objects (`[]` is depth 1). */
  readonly maxDepth: number;
}

/** Which limit a document broke, by how much: callers turn it into their coded error. */
export interface JsonLimitBreach {
  readonly limit: 'maxBytes' | 'maxDepth';
  /** The size in bytes, or the depth reached when the scan stopped (at maxDepth + 1). */
  readonly actual: number;
  readonly max: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Checks size and nesting depth of JSON text BEFORE it is parsed: one pass over the bytes, no
 * allocation, stopping at the first bracket past `maxDepth`. JSON.parse of a deeply nested
 * document builds every level before anyone can refuse it (and later recursive walks of it, by
 * validators or canonical JSON, can overflow the stack); this scan costs a byte comparison each.
 * Brackets inside strings are skipped (escapes honoured); the text need not be valid JSON, the
 * parser that follows says so. Strings are scanned by UTF-16 unit: the structural characters are
 * ASCII either way, and their size is measured in UTF-8 bytes.
 */
export function checkJsonLimits(json: Uint8Array | string, limits: JsonLimits): JsonLimitBreach | undefined {
  const size = typeof json === 'string' ? utf8Length(json) : json.length;
  if (size > limits.maxBytes) return { limit: 'maxBytes', actual: size, max: limits.maxBytes };
  const depth = typeof json === 'string' ? textDepthPast(json, limits.maxDepth) : bytesDepthPast(json, limits.maxDepth);
  return depth === undefined ? undefined : { limit: 'maxDepth', actual: depth, max: limits.maxDepth };
}

// Two loops, one per representation: one loop reading through a closure per character cost
// five times as much (it runs on every event a node reads and every call's arguments).

/** The depth reached past `max` in JSON bytes (the scan stops there), or undefined. */
function bytesDepthPast(json: Uint8Array, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0, n = json.length; i < n; i++) {
    const c = json[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return depth;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return undefined;
}

/** The same for JSON text. */
function textDepthPast(json: string, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0, n = json.length; i < n; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return depth;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return undefined;
}

/** Bytes of `s` in UTF-8, without encoding it (the SDK runs where Buffer does not exist). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate half counts 2: a pair is 4 bytes, as is its code point.
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return n;
}

/** The sentence that names a breached limit, for error messages. */
export function describeJsonBreach(what: string, b: JsonLimitBreach, setting: string): string {
  return b.limit === 'maxBytes'
    ? `${what}: ${b.actual} bytes; this node accepts at most ${b.max} (${setting})`
    : `${what}: nested deeper than ${b.max} levels of arrays and objects (${setting})`;
}
