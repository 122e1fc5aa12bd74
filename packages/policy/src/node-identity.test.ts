import { describe, expect, it } from 'vitest';
import { CapabilityVerifier, generateMeshKeys, mintCapability } from './capability.ts';
import { generateNodeKeys, issueNodeCertificate, NodeCertificateVerifier, nodeSign, nodeVerify } from './node-identity.ts';
import { parsePolicy } from './policy.ts';

const allowAll = [{ policy: parsePolicy({ default: 'allow' }), context: {} }];

describe('node identity - certificates signed by the mesh key', () => {
  const mesh = generateMeshKeys();
  const node = generateNodeKeys();
  const cert = issueNodeCertificate({
    meshPrivateKeyPem: mesh.privateKeyPem,
    nodeId: 'lms-1',
    nodePublicKeyPem: node.publicKeyPem,
    meshId: 'prod',
  });

  it('verifies for its node and mesh, naming the node key', () => {
    const payload = new NodeCertificateVerifier([mesh.publicKeyPem], 'prod').verify(cert, 'lms-1');
    expect(payload.key.trim()).toBe(node.publicKeyPem.trim());
  });

  it('refuses another node id, another mesh, a foreign mesh key, an altered payload and expiry', () => {
    const v = new NodeCertificateVerifier([mesh.publicKeyPem], 'prod');
    expect(() => v.verify(cert, 'lms-2')).toThrow(/for node lms-1, not lms-2/);
    expect(() => new NodeCertificateVerifier([mesh.publicKeyPem], 'staging').verify(cert, 'lms-1')).toThrow(
      /mesh prod, not staging/,
    );
    expect(() => new NodeCertificateVerifier([generateMeshKeys().publicKeyPem]).verify(cert, 'lms-1')).toThrow(
      /this mesh does not trust/,
    );
    const [pre, , sig] = cert.split('.') as [string, string, string];
    const other = issueNodeCertificate({
      meshPrivateKeyPem: mesh.privateKeyPem,
      nodeId: 'lms-1',
      nodePublicKeyPem: generateNodeKeys().publicKeyPem,
    });
    expect(() => v.verify(`${pre}.${other.split('.')[1]}.${sig}`, 'lms-1')).toThrow(/signature is invalid/);
    const old = issueNodeCertificate({
      meshPrivateKeyPem: mesh.privateKeyPem,
      nodeId: 'lms-1',
      nodePublicKeyPem: node.publicKeyPem,
      meshId: 'prod',
      ttlSeconds: 1,
      now: Date.now() - 3_600_000,
    });
    expect(() => v.verify(old, 'lms-1')).toThrow(/expired/);
  });

  it('a capability is not a node certificate and the reverse', () => {
    const cap = mintCapability({ privateKeyPem: mesh.privateKeyPem, layers: allowAll, ttlSeconds: 60 });
    expect(() => new NodeCertificateVerifier([mesh.publicKeyPem]).verify(cap, 'lms-1')).toThrow(/not a node certificate/);
    expect(() => new CapabilityVerifier([mesh.publicKeyPem]).verify(cert)).toThrow(/not a capability/);
  });

  it('node signatures hold only for the purpose, node and data they were made for', () => {
    const data = new TextEncoder().encode('nonce-123');
    const sig = nodeSign(node.privateKeyPem, 'challenge', 'lms-1', data);
    expect(nodeVerify(node.publicKeyPem, 'challenge', 'lms-1', data, sig)).toBe(true);
    expect(nodeVerify(node.publicKeyPem, 'advertisement', 'lms-1', data, sig)).toBe(false);
    expect(nodeVerify(node.publicKeyPem, 'challenge', 'lms-2', data, sig)).toBe(false);
    expect(nodeVerify(node.publicKeyPem, 'challenge', 'lms-1', new TextEncoder().encode('nonce-124'), sig)).toBe(false);
    expect(nodeVerify(generateNodeKeys().publicKeyPem, 'challenge', 'lms-1', data, sig)).toBe(false);
    expect(nodeVerify(node.publicKeyPem, 'challenge', 'lms-1', data, 'garbage')).toBe(false);
  });
});

describe('capability - bound to a mesh and an audience', () => {
  const mesh = generateMeshKeys();
  const mint = (o: { meshId?: string; audience?: string[] }) =>
    mintCapability({ privateKeyPem: mesh.privateKeyPem, layers: allowAll, ttlSeconds: 60, ...o });

  it('a node of the named mesh and audience accepts it; others refuse it with the reason', () => {
    const forA = mint({ meshId: 'prod', audience: ['node-a'] });
    expect(new CapabilityVerifier([mesh.publicKeyPem], { meshId: 'prod', nodeId: 'node-a' }).verify(forA).aud).toEqual([
      'node-a',
    ]);
    expect(() => new CapabilityVerifier([mesh.publicKeyPem], { meshId: 'prod', nodeId: 'node-b' }).verify(forA)).toThrow(
      /for node\(s\) node-a, not node node-b/,
    );
    expect(() => new CapabilityVerifier([mesh.publicKeyPem], { meshId: 'staging', nodeId: 'node-a' }).verify(forA)).toThrow(
      /mesh prod, not this node's mesh staging/,
    );
  });

  it('a node with a mesh id refuses capabilities that name no mesh; one without accepts them', () => {
    const unbound = mint({});
    expect(() => new CapabilityVerifier([mesh.publicKeyPem], { meshId: 'prod' }).verify(unbound)).toThrow(/names no mesh/);
    expect(new CapabilityVerifier([mesh.publicKeyPem]).verify(unbound).mesh).toBeUndefined();
  });
});
