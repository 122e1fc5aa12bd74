import { generateMeshKeys, mintCapability, parsePolicy } from '@insights/policy';
import { describe, expect, it } from 'vitest';
import { revocationTarget } from './capability.ts';

describe('capability revoke - what is revoked, and until when', () => {
  it('a capability gives its id and expiry; an id gives --expires or none; a bad time is refused naming the option', () => {
    const keys = generateMeshKeys();
    const token = mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
      ttlSeconds: 600,
    });
    const { jti, exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number };
    expect(revocationTarget(token)).toEqual({ id: jti, expiresAtMs: exp * 1000 });
    expect(revocationTarget('abc')).toEqual({ id: 'abc', expiresAtMs: undefined });
    expect(revocationTarget('abc', '2030-01-01T00:00:00Z')).toEqual({ id: 'abc', expiresAtMs: Date.UTC(2030, 0, 1) });
    expect(() => revocationTarget('abc', 'tomorrow')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', parameter: 'expires' }),
    );
    expect(() => revocationTarget('ic1.garbage')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', parameter: 'id' }));
  });
});
