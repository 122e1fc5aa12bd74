/** @insights/client: one proxy over every node of the mesh. */
export { connect, DEFAULT_CALL_TIMEOUT_MS } from './mesh.ts';
export { local } from './local.ts';
export type { LocalOptions } from './local.ts';
export type {
  ConnectOptions,
  Mesh,
  MeshControls,
  RestrictOptions,
  MeshEvents,
  RawResult,
  WithCapabilityOptions,
} from './mesh.ts';
export type { IngestReport } from '@insights/runtime';
export { generateMeshKeys, mintCapability, parsePolicy } from '@insights/policy';
export type { Policy, PolicyContext, MeshKeyPair } from '@insights/policy';
export type { MeshDescription, AnalyticDescription, NodeDescription } from './router.ts';
export { NodeConnection, tlsCredentials } from './node-connection.ts';
export type { ClientTlsOptions } from './node-connection.ts';
export { InsightsError, isInsightsError } from '@insights/sdk';
export type { ErrorCode, InferMesh, CallOptions, ViewResult } from '@insights/sdk';
