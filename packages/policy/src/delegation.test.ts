import { describe, expect, it } from 'vitest';
import { CapabilityVerifier, generateMeshKeys, mintCapability } from './capability.ts';
import { delegateCapability } from './delegation.ts';
import { generateNodeKeys, issueNodeCertificate } from './node-identity.ts';
import { parsePolicy } from './policy.ts';

const allowAll = [{ policy: parsePolicy({ default: 'allow' }), context: {} }];

describe('delegation - a node passes its capability on to one other node', () => {
  const mesh = generateMeshKeys();
  const lms = generateNodeKeys();
  const cert = issueNodeCertificate({
    meshPrivateKeyPem: mesh.privateKeyPem,
    nodeId: 'lms-1',
    nodePublicKeyPem: lms.publicKeyPem,
    meshId: 'm',
  });
  const held = mintCapability({
    privateKeyPem: mesh.privateKeyPem,
    layers: allowAll,
    ttlSeconds: 600,
    meshId: 'm',
    holder: 'lms-1',
  });
  const at = (nodeId: string) => new CapabilityVerifier([mesh.publicKeyPem], { meshId: 'm', nodeId });
  const delegate = (o: { target?: string; key?: string; certificate?: string; now?: number; capability?: string } = {}) =>
    delegateCapability({
      capability: o.capability ?? held,
      nodePrivateKeyPem: o.key ?? lms.privateKeyPem,
      certificate: o.certificate ?? cert,
      targetNodeId: o.target ?? 'wiki-1',
      ...(o.now === undefined ? {} : { now: o.now }),
    });

  it('the target accepts a delegation for it; the held capability alone is refused everywhere', () => {
    expect(at('wiki-1').verify(delegate()).holder).toBe('lms-1');
    expect(() => at('wiki-1').verify(held)).toThrow(/held by node lms-1: it is valid only inside that node's delegation/);
  });

  it('another node, an expired delegation, a foreign signer and a stolen certificate are refused', () => {
    expect(() => at('forums-1').verify(delegate())).toThrow(/is for node wiki-1, not forums-1/);
    expect(() => at('wiki-1').verify(delegate({ now: Date.now() - 10 * 60_000 }))).toThrow(/expired/);
    // Someone with lms-1's certificate but not its key.
    expect(() => at('wiki-1').verify(delegate({ key: generateNodeKeys().privateKeyPem }))).toThrow(/does not trust|invalid/);
    // A certified node delegating a capability held by another node.
    const wiki = generateNodeKeys();
    const wikiCert = issueNodeCertificate({
      meshPrivateKeyPem: mesh.privateKeyPem,
      nodeId: 'wiki-1',
      nodePublicKeyPem: wiki.publicKeyPem,
      meshId: 'm',
    });
    expect(() => at('forums-1').verify(delegate({ key: wiki.privateKeyPem, certificate: wikiCert, target: 'forums-1' }))).toThrow(
      /held by node lms-1, but node wiki-1 delegated it/,
    );
    // A certificate signed by a key this mesh does not trust.
    const rogue = generateMeshKeys();
    const rogueCert = issueNodeCertificate({
      meshPrivateKeyPem: rogue.privateKeyPem,
      nodeId: 'lms-1',
      nodePublicKeyPem: lms.publicKeyPem,
      meshId: 'm',
    });
    expect(() => at('wiki-1').verify(delegate({ certificate: rogueCert }))).toThrow(/does not trust/);
  });

  it('a capability without a holder is accepted inside a delegation too (a caller passed on by a node)', () => {
    const plain = mintCapability({ privateKeyPem: mesh.privateKeyPem, layers: allowAll, ttlSeconds: 600, meshId: 'm' });
    expect(at('wiki-1').verify(delegate({ capability: plain })).layers).toHaveLength(1);
  });
});
