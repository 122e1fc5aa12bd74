/** @insights/node: the analytics node. */
export { startNode, NODE_VERSION } from './node.ts';
export type { RunningNode, StartNodeOptions, NodeState } from './node.ts';
export {
  parseNodeConfig,
  loadNodeConfigFile,
  nodeConfigSchema,
  ConfigError,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_MAX_REQUEST_BYTES,
} from './config.ts';
export type { NodeConfig, NodeConfigInput } from './config.ts';
export { applyEnvOverrides, ENV_OVERRIDES } from './config-env.ts';
export type { EnvOverride } from './config-env.ts';
export { renderConfigReference } from './config-doc.ts';
export { moduleHealthService } from './readiness.ts';
export type { Readiness } from './readiness.ts';
export { parseTraceparent, formatTraceparent } from './tracing.ts';
export type { FailedModule } from './describe.ts';
export { recordsToTable } from './csv.ts';
export { revokeCapability, sweepExpiredRevocations, openRevocationBucket, REVOCATION_BUCKET } from './revocations.ts';
export { writeNodeCredentials } from './node-credentials.ts';
export type { NodeCredentialsOptions } from './node-credentials.ts';
export { NODE_KEY_FILE, NODE_CERT_FILE } from './node-identity.ts';
export { installProcessFaultPolicy, FATAL_FAULT_EXIT_CODE } from './process-faults.ts';
export type { ProcessFaultPolicy, ProcessFaultCounts, ProcessFaultKind, ProcessFaultOptions } from './process-faults.ts';
