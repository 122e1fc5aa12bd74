/**
 * Rewrites a case-insensitive (`i`) regular expression source into one without the flag that
 * matches the same strings: each cased character becomes a class of its case variants. Node 20's
 * linear-time regular expression engine cannot run the `i` flag, so an `i` pattern would fall back
 * to backtracking; rewritten, it can run in linear time (linear-regex.ts). Non-unicode mode only
 * (the `u` flag is refused before this): ECMAScript's Canonicalize, which upper-cases a code unit
 * unless that gives several or maps a non-ASCII one to ASCII.
 */

const MAX_UNIT = 0xffff;

function canonical(unit: number): number {
  const upper = String.fromCharCode(unit).toUpperCase();
  if (upper.length !== 1) return unit;
  const u = upper.charCodeAt(0);
  return unit >= 128 && u < 128 ? unit : u;
}

let variantTable: Map<number, number[]> | undefined;

/** The code units equal to `unit` under `i` (itself included), for those that have others. */
function variantsOf(unit: number): readonly number[] {
  if (variantTable === undefined) {
    const byCanonical = new Map<number, number[]>();
    for (let c = 0; c <= MAX_UNIT; c++) {
      const k = canonical(c);
      const list = byCanonical.get(k);
      if (list === undefined) byCanonical.set(k, [c]);
      else list.push(c);
    }
    variantTable = new Map();
    for (const list of byCanonical.values()) if (list.length > 1) for (const c of list) variantTable.set(c, list);
  }
  return variantTable.get(unit) ?? [unit];
}

const hex4 = (unit: number): string => `\\u${unit.toString(16).padStart(4, '0')}`;

/** A class body (no brackets) of the given code units, as ranges. */
function classBody(units: Iterable<number>): string {
  const sorted = [...new Set(units)].sort((a, b) => a - b);
  let out = '';
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    out += j === i ? hex4(sorted[i] as number) : `${hex4(sorted[i] as number)}-${hex4(sorted[j] as number)}`;
    i = j + 1;
  }
  return out;
}

/** A reader over a pattern source, one atom at a time. */
class Source {
  at = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.at >= this.text.length;
  }
  peek(n = 0): string {
    return this.text[this.at + n] ?? '';
  }
  take(n = 1): string {
    const s = this.text.slice(this.at, this.at + n);
    this.at += n;
    return s;
  }
}

const CLASS_ESCAPES = 'dDwWsS';
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };

/**
 * The escape after a backslash (already taken): the code unit it stands for, or its text when it is
 * not one character (a class escape, an assertion, a back reference: kept as written).
 */
function readEscape(src: Source, inClass: boolean): number | string {
  const e = src.take();
  if (e === '') return '\\';
  if (CLASS_ESCAPES.includes(e)) return `\\${e}`;
  if (e === 'b') return inClass ? 8 : '\\b';
  if (e === 'B') return inClass ? 'B'.charCodeAt(0) : '\\B';
  if (CONTROL_ESCAPES[e] !== undefined) return CONTROL_ESCAPES[e];
  if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.peek() + src.peek(1))) return parseInt(src.take(2), 16);
  if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.text.slice(src.at, src.at + 4))) return parseInt(src.take(4), 16);
  if (e === 'c' && /[a-zA-Z]/.test(src.peek())) return src.take().charCodeAt(0) % 32;
  if (e === '0' && !/[0-9]/.test(src.peek())) return 0;
  if (/[0-9]/.test(e) || (e === 'k' && !inClass)) {
    // Back references (and legacy octal escapes) are kept: the linear-time check refuses them.
    let digits = e;
    while (/[0-9]/.test(src.peek())) digits += src.take();
    return `\\${digits}`;
  }
  return e.charCodeAt(0); // an identity escape: `\.`, `\/`, `\-`...
}

function foldedAtom(unit: number): string {
  const variants = variantsOf(unit);
  return variants.length > 1 ? `[${classBody(variants)}]` : hex4(unit);
}

/** A class (`[` taken) closed under case: its ranges with every variant of their units. */
function foldClass(src: Source): string {
  const negated = src.peek() === '^';
  if (negated) src.take();
  const kept: string[] = [];
  const units: number[] = [];
  const addRange = (lo: number, hi: number): void => {
    for (let c = lo; c <= hi; c++) for (const v of variantsOf(c)) units.push(v);
  };
  const atom = (): number | string => {
    const ch = src.take();
    return ch === '\\' ? readEscape(src, true) : ch.charCodeAt(0);
  };
  while (!src.done && src.peek() !== ']') {
    const lo = atom();
    if (typeof lo === 'string') {
      kept.push(lo);
      continue;
    }
    if (src.peek() === '-' && src.peek(1) !== ']' && src.peek(1) !== '') {
      const save = src.at;
      src.take();
      const hi = atom();
      if (typeof hi === 'number' && hi >= lo) {
        addRange(lo, hi);
        continue;
      }
      src.at = save; // `[\w-z]` and the like: a literal dash (Annex B); let the engine judge the rest
    }
    addRange(lo, lo);
  }
  src.take(); // ']'
  return `[${negated ? '^' : ''}${kept.join('')}${classBody(units)}]`;
}

/** `source` under the `i` flag, rewritten to match the same strings without it. */
export function foldCase(source: string): string {
  const src = new Source(source);
  let out = '';
  while (!src.done) {
    const ch = src.take();
    if (ch === '\\') {
      const e = readEscape(src, false);
      out += typeof e === 'string' ? e : foldedAtom(e);
    } else if (ch === '[') {
      out += foldClass(src);
    } else if (ch === '(' && src.peek() === '?') {
      // Group syntax is kept as written (a group name must not become a class).
      const name = /^\?<([A-Za-z_$][\w$]*)>/.exec(src.text.slice(src.at));
      out += ch + src.take(name ? name[0].length : src.peek(1) === '<' ? 3 : 2);
    } else if (ch === '{') {
      const quantifier = /^\d+(,\d*)?\}/.exec(src.text.slice(src.at));
      out += ch + (quantifier ? src.take(quantifier[0].length) : '');
    } else {
      const variants = variantsOf(ch.charCodeAt(0));
      out += variants.length > 1 ? `[${classBody(variants)}]` : ch;
    }
  }
  return out;
}
