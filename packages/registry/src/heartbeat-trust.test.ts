import { generateKeyPairSync } from 'node:crypto';
import { CLOCK_SKEW_MS } from '@insights/policy';
import { describe, expect, it } from 'vitest';
import { heartbeatRefusal, signHeartbeat } from './advertisement-trust.ts';

describe('registry - signed heartbeats', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const identity = { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certificate: 'inc1.x' };
  const nodeKey = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const beat = (state: 'serving' | 'draining', at: number) =>
    signHeartbeat('lms-1', { v: 1, ttlMs: 6000, state, seq: 1 }, identity, at) as unknown as Record<string, unknown>;

  it('takes a fresh beat signed by the node key, newer than the last one taken', () => {
    expect(heartbeatRefusal('lms-1', beat('serving', 10_000), nodeKey, 9_000, 10_050)).toBeUndefined();
  });

  it('refuses an unsigned beat, a changed one, one for another node, a replay and a stale recording', () => {
    const { sig: _s, ...unsigned } = beat('serving', 10_000);
    expect(heartbeatRefusal('lms-1', unsigned, nodeKey, 0, 10_000)).toMatch(/unsigned/);
    expect(heartbeatRefusal('lms-1', { ...beat('serving', 10_000), state: 'draining' }, nodeKey, 0, 10_000)).toMatch(
      /signature does not match/,
    );
    expect(heartbeatRefusal('lms-2', beat('serving', 10_000), nodeKey, 0, 10_000)).toMatch(/signature does not match/);
    expect(heartbeatRefusal('lms-1', beat('serving', 10_000), nodeKey, 10_000, 10_100)).toMatch(/not newer/);
    const late = 10_000 + 6000 + CLOCK_SKEW_MS + 1;
    expect(heartbeatRefusal('lms-1', beat('serving', 10_000), nodeKey, 0, late)).toMatch(/stamped \d+ s ago/);
  });

  it('a node without a certificate beats unsigned, as before', () => {
    expect(signHeartbeat('dev', { v: 1, ttlMs: 6000, state: 'serving', seq: 0 }, undefined)).toEqual({
      v: 1,
      ttlMs: 6000,
      state: 'serving',
      seq: 0,
    });
  });
});
