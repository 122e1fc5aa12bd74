import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs and checks file URLs: `/files/<module>/<name>?exp=<epoch s>&sig=<hex>`. HMAC-SHA256 over
 * module, name and expiry, so a URL grants one file until it expires and nothing else.
 */
export class UrlSigner {
  readonly #key: Buffer;

  constructor(secret: string | Buffer) {
    this.#key = Buffer.isBuffer(secret) ? secret : Buffer.from(secret);
    if (this.#key.length < 16) throw new Error('file URL signing secret must be at least 16 bytes');
  }

  sign(module: string, name: string, expiresAtSeconds: number): string {
    return createHmac('sha256', this.#key).update(`${module}\n${name}\n${expiresAtSeconds}`).digest('hex');
  }

  /** The path and query of a signed URL (the node prefixes its own HTTP origin). */
  signedPath(module: string, name: string, ttlSeconds: number, nowMs = Date.now()): string {
    const exp = Math.floor(nowMs / 1000) + Math.max(1, Math.floor(ttlSeconds));
    const encodedName = name.split('/').map(encodeURIComponent).join('/');
    return `/files/${encodeURIComponent(module)}/${encodedName}?exp=${exp}&sig=${this.sign(module, name, exp)}`;
  }

  verify(module: string, name: string, exp: number, sig: string, nowMs = Date.now()): 'ok' | 'expired' | 'bad-signature' {
    const expected = Buffer.from(this.sign(module, name, exp), 'hex');
    const given = Buffer.from(sig, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
    return exp * 1000 < nowMs ? 'expired' : 'ok';
  }
}
