/** @insights/policy: restrict-and-lock policies, evaluated the same way by nodes and clients. */
export { policySchema, policyRuleSchema, policyContextSchema, parsePolicy } from './policy.ts';
export type { Policy, ParsedPolicy, PolicyContext, PolicyLayer } from './policy.ts';
export { decide, applyDecision, stripLocked, schemaParameters } from './evaluate.ts';
export type { Decision, PolicyTarget } from './evaluate.ts';
export { mintCapability, decodeCapability, CapabilityVerifier, generateMeshKeys, keyId, CLOCK_SKEW_MS } from './capability.ts';
export type { CapabilityPayload, MeshKeyPair, MintOptions } from './capability.ts';
export { globToRegExp } from './glob.ts';
