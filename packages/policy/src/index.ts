/** @insights/policy: restrict-and-lock policies, evaluated the same way by nodes and clients. */
export { policySchema, policyRuleSchema, policyContextSchema, parsePolicy } from './policy.ts';
export type { Policy, ParsedPolicy, PolicyContext, PolicyLayer } from './policy.ts';
export { decide, applyDecision, stripLocked, schemaParameters } from './evaluate.ts';
export type { Decision, PolicyTarget } from './evaluate.ts';
export { mintCapability, decodeCapability, CapabilityVerifier, generateMeshKeys, keyId, CLOCK_SKEW_MS } from './capability.ts';
export type { CapabilityPayload, MeshKeyPair, MintOptions, VerifierScope } from './capability.ts';
export {
  generateNodeKeys,
  issueNodeCertificate,
  decodeNodeCertificate,
  NodeCertificateVerifier,
  nodeSign,
  nodeVerify,
  DEFAULT_NODE_CERT_TTL_S,
} from './node-identity.ts';
export type { NodeCertificate, IssueNodeCertificateOptions, NodeSignaturePurpose } from './node-identity.ts';
export { delegateCapability, isDelegation, DELEGATION_TTL_S } from './delegation.ts';
export { globToRegExp } from './glob.ts';
