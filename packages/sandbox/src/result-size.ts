/**
 * Estimates the encoded size of a call's result (roughly its JSON length; binary data counts its
 * bytes) and stops as soon as it passes `limit`, so a huge result is refused after a walk of at
 * most `limit` bytes' worth of values, never by serialising it. Strings count one byte per UTF-16
 * unit: an underestimate for non-ASCII text, which is fine for a guard against runaway results.
 */
export function exceedsSize(value: unknown, limit: number): boolean {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    switch (typeof v) {
      case 'string':
        total += v.length + 2;
        break;
      case 'number':
      case 'bigint':
        total += 8;
        break;
      case 'boolean':
        total += 5;
        break;
      case 'object':
        if (v === null) total += 4;
        else if (ArrayBuffer.isView(v)) total += v.byteLength;
        else if (v instanceof ArrayBuffer) total += v.byteLength;
        else if (Array.isArray(v)) {
          total += 2 + v.length;
          if (total > limit) return true;
          for (const x of v) stack.push(x);
        } else if (v instanceof Map || v instanceof Set) {
          total += 2 + v.size;
          if (total > limit) return true;
          for (const x of v) stack.push(x);
        } else {
          total += 2;
          for (const k in v) {
            total += k.length + 4;
            if (total > limit) return true;
            stack.push((v as Record<string, unknown>)[k]);
          }
        }
        break;
      default:
        total += 4;
    }
    // Cyclic values keep adding until they pass the limit: no visited set needed.
    if (total > limit) return true;
  }
  return false;
}
