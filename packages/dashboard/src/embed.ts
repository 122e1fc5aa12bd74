import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { policyContextSchema } from '@insights/policy';
import { InsightsError } from '@insights/sdk';
import { z } from 'zod';
import type { Principal } from './principal.ts';

/**
 * Embed URLs: `/embed/<payload>.<mac>`, an HMAC-signed, expiring grant to show one view with
 * fixed arguments as one user, for an iframe in the LMS. The payload names the user's role (the
 * policy is looked up when the URL is used, so tightening a role also narrows old embeds) and
 * carries the user's context. The key is derived from the mesh signing key, so rotating that key
 * revokes every embed URL.
 */
const payloadSchema = z.strictObject({
  v: z.literal(1),
  /** `<module>.<name>` of the view. */
  a: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
  u: z.string().min(1),
  r: z.string().min(1),
  c: policyContextSchema,
  /** The user's users-file generation when minted (see UsersFile): the link dies when it moves. */
  g: z.string().min(1).max(64).optional(),
  exp: z.number().int(),
});

export interface EmbedGrant {
  readonly analytic: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: Principal;
  /** Expiry, epoch seconds. */
  readonly expiresAt: number;
}

export class EmbedSigner {
  readonly #key: Buffer;

  constructor(signingKeyPem: string) {
    this.#key = Buffer.from(hkdfSync('sha256', signingKeyPem, 'insights-dashboard', 'embed-url-v1', 32));
  }

  /** A token for `analytic` called with `args`, valid `ttlSeconds` from `nowMs`. */
  mint(analytic: string, args: Record<string, unknown>, principal: Principal, ttlSeconds: number, nowMs = Date.now()): string {
    const payload: z.output<typeof payloadSchema> = {
      v: 1,
      a: analytic,
      args,
      u: principal.user,
      r: principal.role,
      c: { ...principal.context },
      ...(principal.generation === undefined ? {} : { g: principal.generation }),
      exp: Math.floor(nowMs / 1000) + Math.max(1, Math.floor(ttlSeconds)),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The grant of a token; PERMISSION_DENIED saying whether it was forged or has expired. */
  verify(token: string, nowMs = Date.now()): EmbedGrant {
    const [body, mac, extra] = token.split('.');
    if (body === undefined || mac === undefined || extra !== undefined) throw denied('this embed link is malformed');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw denied('this embed link has an invalid signature');
    let p: z.output<typeof payloadSchema>;
    try {
      p = payloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      throw denied('this embed link is malformed');
    }
    if (p.exp * 1000 < nowMs) throw denied('this embed link has expired; ask for a new one');
    return {
      analytic: p.a,
      args: p.args,
      principal: { user: p.u, name: p.u, role: p.r, context: p.c, via: 'embed', generation: p.g },
      expiresAt: p.exp,
    };
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

function denied(message: string): InsightsError {
  return new InsightsError('PERMISSION_DENIED', message);
}
