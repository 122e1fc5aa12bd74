import { randomFillSync } from 'node:crypto';

/** Refilled from the CSPRNG this many bytes at a time: one `getrandom` for ~450 audit ids. */
const POOL_BYTES = 4096;
// Its own memory (not Node's shared allocation slab), and every byte handed out once only.
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * `bytes` fresh random bytes (from the CSPRNG, as `randomBytes`) as a string. Each
 * `crypto.randomBytes` call costs ~4-5 µs on our VMs (a system call per call), which twice per
 * call was the largest single item of the call path; reading from a pooled block costs ~0.2 µs.
 */
export function randomString(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (bytes > POOL_BYTES) return randomFillSync(Buffer.alloc(bytes)).toString(encoding);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString(encoding, offset, offset + bytes);
  offset += bytes;
  return s;
}
