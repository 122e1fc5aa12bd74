/** Reading dotted field paths the way MongoDB indexes and `distinct` do (arrays fan out). */

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function collect(value: unknown, segs: readonly string[], i: number, out: unknown[]): void {
  if (i === segs.length) {
    // A leaf array contributes its elements (multikey), an empty one nothing.
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
    return;
  }
  const seg = segs[i] as string;
  if (Array.isArray(value)) {
    // `a.0` means element 0 and also field "0" of each element, as in MongoDB.
    if (/^\d+$/.test(seg)) {
      const el: unknown = value[Number(seg)];
      if (el !== undefined) collect(el, segs, i + 1, out);
    }
    for (const el of value) if (isPlainObject(el) && seg in el) collect(el[seg], segs, i + 1, out);
    return;
  }
  if (isPlainObject(value) && seg in value) collect(value[seg], segs, i + 1, out);
}

/**
 * Every value at `path` in `doc`, with arrays on the way and at the leaf expanded. Empty when the
 * path is missing everywhere.
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out);
  return out;
}

/** True when the path is absent from the document (no value on any branch). */
export function isPathMissing(doc: unknown, path: string): boolean {
  return valuesAtPath(doc, path).length === 0;
}
