import { describe, expect, it } from 'vitest';
import { CapabilityVerifier, decodeCapability, generateMeshKeys, mintCapability } from './capability.ts';
import { applyDecision, decide, schemaParameters, stripLocked } from './evaluate.ts';
import { parsePolicy, type PolicyLayer } from './policy.ts';

const instructor: PolicyLayer = {
  policy: parsePolicy({
    default: 'allow',
    rules: [
      { match: ['admin.*', 'query:*_raw'], effect: 'deny' },
      { match: '*', lock: { course: 'course' } },
    ],
  }),
  context: { course: 'MITx/6.002x/2013' },
};

describe('policy - decide', () => {
  it('allows and locks the course to the context', () => {
    const d = decide([instructor], { kind: 'query', module: 'grades', name: 'histogram' });
    expect(d).toEqual({ allowed: true, locks: { course: 'MITx/6.002x/2013' } });
    expect(applyDecision(d, { bins: 10 }, 'grades.histogram')).toEqual({ bins: 10, course: 'MITx/6.002x/2013' });
  });

  it('refuses a caller-supplied locked parameter with another value, accepts the locked value itself', () => {
    const d = decide([instructor], { kind: 'query', module: 'grades', name: 'histogram' });
    expect(() => applyDecision(d, { course: 'other' }, 'grades.histogram')).toThrow(/locked by your policy/);
    expect(applyDecision(d, { course: 'MITx/6.002x/2013' }, 'grades.histogram')).toEqual({ course: 'MITx/6.002x/2013' });
  });

  it('a lock leaves analytics without the locked parameter callable (and unlocked)', () => {
    const withCourse = decide([instructor], { kind: 'query', module: 'g', name: 'h', parameters: ['course', 'bins'] });
    expect(withCourse).toEqual({ allowed: true, locks: { course: 'MITx/6.002x/2013' } });
    const without = decide([instructor], { kind: 'query', module: 'g', name: 'count', parameters: ['bins'] });
    expect(without).toEqual({ allowed: true, locks: {} });
    expect(applyDecision(without, { bins: 3 }, 'g.count')).toEqual({ bins: 3 });
    // A lock whose context key is missing cannot matter to an analytic without the parameter.
    expect(decide([{ ...instructor, context: {} }], { kind: 'query', module: 'g', name: 'count', parameters: [] }).allowed).toBe(
      true,
    );
  });

  it('denies by module glob, by kind-qualified glob, and by alias', () => {
    expect(decide([instructor], { kind: 'query', module: 'admin', name: 'users' }).allowed).toBe(false);
    expect(decide([instructor], { kind: 'query', module: 'x', name: 'events_raw' }).allowed).toBe(false);
    expect(decide([instructor], { kind: 'view', module: 'x', name: 'events_raw' }).allowed).toBe(true);
    expect(decide([instructor], { kind: 'query', module: 'x', name: 'y', aliases: ['admin.y'] }).allowed).toBe(false);
  });

  it('restricting a restricted layer only narrows', () => {
    const onlyHistograms: PolicyLayer = {
      policy: parsePolicy({ default: 'deny', rules: [{ match: '*histogram*' }] }),
      context: {},
    };
    expect(decide([instructor, onlyHistograms], { kind: 'query', module: 'grades', name: 'histogram' }).allowed).toBe(true);
    expect(decide([instructor, onlyHistograms], { kind: 'query', module: 'grades', name: 'table' }).allowed).toBe(false);
    const widen: PolicyLayer = { policy: parsePolicy({ default: 'allow' }), context: {} };
    expect(decide([instructor, widen], { kind: 'query', module: 'admin', name: 'users' }).allowed).toBe(false);
    const otherCourse: PolicyLayer = {
      policy: parsePolicy({ default: 'allow', rules: [{ match: '*', lock: { course: 'c' } }] }),
      context: { c: 'X' },
    };
    expect(decide([instructor, otherCourse], { kind: 'query', module: 'g', name: 'h' }).allowed).toBe(false);
  });

  it('names the missing context key', () => {
    const d = decide([{ ...instructor, context: {} }], { kind: 'query', module: 'g', name: 'h' });
    expect(d).toMatchObject({ allowed: false, reason: expect.stringContaining('context "course"') });
  });

  it('reads parameter names from a JSON Schema', () => {
    expect(schemaParameters({ type: 'object', properties: { course: {}, bins: {} } })).toEqual(['course', 'bins']);
    expect(schemaParameters({})).toEqual([]);
    expect(schemaParameters(undefined)).toEqual([]);
  });

  it('strips locked parameters from schemas', () => {
    expect(stripLocked({ type: 'object', properties: { course: {}, bins: {} }, required: ['course'] }, { course: 'x' })).toEqual({
      type: 'object',
      properties: { bins: {} },
      required: [],
    });
  });

  it('rejects malformed policies with the path', () => {
    expect(() => parsePolicy({ default: 'maybe' })).toThrow(/^policy: default:/);
    expect(() => parsePolicy({ default: 'allow', rules: [{ match: '*', extra: 1 }] })).toThrow(/rules\.0/);
  });
});

describe('capability - signed, expiring, verified with public keys only', () => {
  const keys = generateMeshKeys();
  const verifier = new CapabilityVerifier([keys.publicKeyPem]);

  it('round-trips', () => {
    const token = mintCapability({ privateKeyPem: keys.privateKeyPem, layers: [instructor], ttlSeconds: 60, subject: 'prof' });
    const p = verifier.verify(token);
    expect(p).toMatchObject({ kid: keys.kid, sub: 'prof', layers: [{ context: { course: 'MITx/6.002x/2013' } }] });
    expect(decodeCapability(token).kid).toBe(keys.kid);
    expect(p.jti).toMatch(/^[\w-]{16}$/);
    expect(
      decodeCapability(mintCapability({ privateKeyPem: keys.privateKeyPem, layers: [instructor], ttlSeconds: 60 })).jti,
    ).not.toBe(p.jti);
  });

  it('rejects altered, foreign, expired and garbage tokens', () => {
    const token = mintCapability({ privateKeyPem: keys.privateKeyPem, layers: [instructor], ttlSeconds: 60 });
    const [pre, body, sig] = token.split('.') as [string, string, string];
    const widened = Buffer.from(Buffer.from(body, 'base64url').toString().replace('"deny"', '"allow"')).toString('base64url');
    expect(() => verifier.verify(`${pre}.${widened}.${sig}`)).toThrow(/signature is invalid/);
    const foreign = mintCapability({ privateKeyPem: generateMeshKeys().privateKeyPem, layers: [instructor], ttlSeconds: 60 });
    expect(() => verifier.verify(foreign)).toThrow(/does not trust/);
    const old = mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [instructor],
      ttlSeconds: 60,
      now: Date.now() - 3_600_000,
    });
    expect(() => verifier.verify(old)).toThrow(/expired/);
    expect(() => verifier.verify('hello')).toThrow(/not a capability/);
  });
});
