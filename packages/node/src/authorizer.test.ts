import {
  delegateCapability,
  generateMeshKeys,
  generateNodeKeys,
  issueNodeCertificate,
  mintCapability,
  parsePolicy,
} from '@insights/policy';
import { createLogger, type Dispatcher } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { Authorizer } from './authorizer.ts';

describe('authorizer - who a forwarded call is, for the audit', () => {
  it("a delegated capability names the node that passed it on, after the caller's own subject and id", () => {
    const mesh = generateMeshKeys();
    const lms = generateNodeKeys();
    const caller = mintCapability({
      privateKeyPem: mesh.privateKeyPem,
      layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
      ttlSeconds: 600,
      meshId: 'm',
      subject: 'prof',
    });
    const forwarded = delegateCapability({
      capability: caller,
      nodePrivateKeyPem: lms.privateKeyPem,
      certificate: issueNodeCertificate({
        meshPrivateKeyPem: mesh.privateKeyPem,
        nodeId: 'lms-1',
        nodePublicKeyPem: lms.publicKeyPem,
        meshId: 'm',
      }),
      targetNodeId: 'wiki-1',
    });
    const at = new Authorizer(
      {} as Dispatcher,
      [mesh.publicKeyPem],
      true,
      createLogger(() => undefined),
      undefined,
      undefined,
      {
        meshId: 'm',
        nodeId: 'wiki-1',
      },
    );
    expect(at.verify(caller).label).toMatch(/^prof#[\w-]+$/);
    expect(at.verify(forwarded).label).toMatch(/^prof#[\w-]+ via node:lms-1#delegation$/);
  });
});

describe('authorizer - node routes serve only mesh nodes', () => {
  const mesh = generateMeshKeys();
  const reader = generateNodeKeys();
  const capability = mintCapability({
    privateKeyPem: mesh.privateKeyPem,
    layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
    ttlSeconds: 600,
    meshId: 'm',
  });
  const delegated = delegateCapability({
    capability,
    nodePrivateKeyPem: reader.privateKeyPem,
    certificate: issueNodeCertificate({
      meshPrivateKeyPem: mesh.privateKeyPem,
      nodeId: 'reader-1',
      nodePublicKeyPem: reader.publicKeyPem,
      meshId: 'm',
    }),
    targetNodeId: 'owner-1',
  });
  const refused: unknown[] = [];
  const at = new Authorizer(
    { recordRefused: (r: unknown) => refused.push(r) } as unknown as Dispatcher,
    [mesh.publicKeyPem],
    false,
    createLogger(() => undefined),
    undefined,
    undefined,
    { meshId: 'm', nodeId: 'owner-1' },
  );

  it('names the certified node that delegated the capability; a `from` the caller sends is only part of its request', () => {
    const r = at.authorize('query', '$module-data.read', { from: 'owner-1', owner: 'video' }, delegated);
    expect(r.args).toEqual({ from: 'reader-1', request: { from: 'owner-1', owner: 'video' } });
    expect(r.authority?.label).toMatch(/via node:reader-1#delegation$/);
  });

  it('refuses a call with no capability, or one no node delegated, even where capabilities are optional', () => {
    expect(() => at.authorize('query', '$module-data.read', {}, '')).toThrow(
      /serves only mesh nodes: the call carries no capability/,
    );
    expect(() => at.authorize('query', '$module-data.read', {}, capability)).toThrow(/not delegated by one certified node/);
    expect(refused).toHaveLength(2);
  });
});
