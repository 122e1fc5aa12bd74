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
