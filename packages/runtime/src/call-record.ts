import { encodedJsonOf, type CallOutcome } from '@insights/wire';
import { randomString } from './random-pool.ts';

/** A call's audit id: random, so ids from different nodes and restarts never collide. */
export function newAuditId(): string {
  return randomString(9, 'base64url');
}

/**
 * A JSON outcome with its wire encoding attached, made once: the audit record's size and the
 * frame both use it (they each ran JSON.stringify before, and a memoized 1 MB result was
 * stringified for its size on every call). A value that cannot be encoded is left as it is, so
 * the wire reports it as before.
 */
export function withEncoding(o: CallOutcome): CallOutcome {
  if (o.type !== 'json' || o.encoded !== undefined) return o;
  try {
    const encoded = encodedJsonOf(o.value, o.shared);
    return o.shared === true
      ? { type: 'json', value: o.value, shared: true, encoded }
      : { type: 'json', value: o.value, encoded };
  } catch {
    return o;
  }
}

/** A result's size in bytes as the caller receives it (about: JSON length, or the view's bytes). */
export function resultBytes(o: CallOutcome): number {
  switch (o.type) {
    case 'json': {
      if (o.encoded !== undefined) return typeof o.encoded === 'string' ? Buffer.byteLength(o.encoded) : o.encoded.byteLength;
      try {
        return Buffer.byteLength(JSON.stringify(o.value) ?? '');
      } catch {
        return 0;
      }
    }
    case 'html':
      return Buffer.byteLength(o.html);
    case 'svg':
      return Buffer.byteLength(o.svg);
    case 'png':
      return o.data.byteLength;
    default:
      try {
        return Buffer.byteLength(JSON.stringify(o));
      } catch {
        return 0;
      }
  }
}
