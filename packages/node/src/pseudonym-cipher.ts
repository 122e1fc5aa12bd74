import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

const BLOCK = 16;

/**
 * Deterministic authenticated encryption of learner ids (SIV: the IV is an HMAC of the padded
 * id, then AES-256-CTR), so a pseudonym is the same for one id on every node and after any
 * restart, and any node with the project's key maps it back without a shared table. Without the
 * key it is neither reversible nor forgeable (a changed byte fails the HMAC). Ids are padded to
 * whole blocks, so most pseudonyms show nothing of an id's length.
 */
export class PseudonymCipher {
  readonly #mac: Buffer;
  readonly #enc: Buffer;

  constructor(key: string) {
    // Separate keys for the IV and the encryption, both derived from the project's secret.
    this.#mac = createHmac('sha256', key).update('insights pseudonym iv').digest();
    this.#enc = createHmac('sha256', key).update('insights pseudonym enc').digest();
  }

  seal(id: string): Buffer {
    const plain = pad(Buffer.from(id, 'utf8'));
    const iv = this.#iv(plain);
    const c = createCipheriv('aes-256-ctr', this.#enc, iv);
    return Buffer.concat([iv, c.update(plain), c.final()]);
  }

  /** The id sealed in `sealed`, or undefined when it was not sealed with this key (or was altered). */
  open(sealed: Buffer): string | undefined {
    if (sealed.length < 2 * BLOCK || sealed.length % BLOCK !== 0) return undefined;
    const iv = sealed.subarray(0, BLOCK);
    const d = createDecipheriv('aes-256-ctr', this.#enc, iv);
    const plain = Buffer.concat([d.update(sealed.subarray(BLOCK)), d.final()]);
    if (!timingSafeEqual(this.#iv(plain), iv)) return undefined;
    return unpad(plain)?.toString('utf8');
  }

  #iv(plain: Buffer): Buffer {
    return createHmac('sha256', this.#mac).update(plain).digest().subarray(0, BLOCK);
  }
}

/** ISO/IEC 7816-4 padding: 0x80, then zeros to a whole block. */
function pad(b: Buffer): Buffer {
  const out = Buffer.alloc((Math.floor(b.length / BLOCK) + 1) * BLOCK);
  b.copy(out);
  out[b.length] = 0x80;
  return out;
}

function unpad(b: Buffer): Buffer | undefined {
  let i = b.length - 1;
  while (i >= 0 && b[i] === 0) i--;
  return i >= 0 && b[i] === 0x80 ? b.subarray(0, i) : undefined;
}
