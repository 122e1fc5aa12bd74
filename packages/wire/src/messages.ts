/** TypeScript shapes of the proto messages as @grpc/proto-loader decodes them (camelCase). */

export type AnalyticKind = 'query' | 'view' | 'event-handler' | 'event-property' | 'job' | 'normaliser';

const KIND_TO_WIRE: Record<AnalyticKind, number> = {
  query: 1,
  view: 2,
  'event-handler': 3,
  'event-property': 4,
  job: 5,
  normaliser: 6,
};
const WIRE_TO_KIND = new Map(Object.entries(KIND_TO_WIRE).map(([k, v]) => [v, k as AnalyticKind]));

export const kindToWire = (k: AnalyticKind): number => KIND_TO_WIRE[k];
export const kindFromWire = (n: number): AnalyticKind | undefined => WIRE_TO_KIND.get(n);

export interface WireResult {
  contentType: string;
  data: Uint8Array;
}

export interface WireErrorDetail {
  code: string;
  message: string;
  parameter: string;
  suggestions: string[];
  analytic: string;
  grpcStatus: number;
}

export interface WireNodeInfo {
  id: string;
  labels: string[];
  version: string;
  grpcAddress: string;
  httpAddress: string;
  state: string;
  /** kernel | permission-model-only: what process modules run in. */
  sandbox: string;
}

export interface WireAnalyticInfo {
  kind: number;
  module: string;
  name: string;
  aliases: string[];
  description: string;
  paramsSchemaJson: string;
  idempotent: boolean;
  metaJson: string;
}

export interface WireModuleStats {
  restarts: number;
  memoryBytes: number;
  inFlight: number;
  calls: number;
  errors: number;
}

export interface WireModuleInfo {
  name: string;
  version: string;
  description: string;
  state: string;
  lastError: string;
  analytics: WireAnalyticInfo[];
  isolation: string;
  /** kernel | permission-model-only | none (worker and inline: trusted code in the node's process). */
  sandbox: string;
  /** The limits in force, as JSON. */
  sandboxLimitsJson: string;
  stats: WireModuleStats;
  /** Worker and inline modules run in the node's process, unsandboxed: trusted code only. */
  trusted: boolean;
}

export interface WireDescribeResponse {
  node: WireNodeInfo;
  modules: WireModuleInfo[];
}

export interface WireProveRequest {
  nonce: Uint8Array;
}

export interface WireProveResponse {
  nodeId: string;
  certificate: string;
  signature: string;
}

export interface WireCallRequest {
  kind: number;
  name: string;
  argsJson: Uint8Array;
  capability: string;
  /** W3C trace context of the caller ('' or absent: none). */
  traceparent?: string;
  /** The audit id of the call this one is nested in, from a node forwarding it ('' or absent: none). */
  parentCall?: string;
}

export interface WireStreamCall {
  id: number;
  kind: number;
  name: string;
  argsJson: Uint8Array;
  timeoutMs: number;
  capability: string;
  wantProgress: boolean;
  /** W3C trace context of the caller ('' or absent: none). */
  traceparent?: string;
  /** The audit id of the call this one is nested in, from a node forwarding it ('' or absent: none). */
  parentCall?: string;
}

export interface WireProgress {
  id: number;
  fraction: number;
  message: string;
}

export interface WireIngestRequest {
  eventsJson: Uint8Array[];
  waitForHandlers: boolean;
  waitTimeoutMs: number;
  capability: string;
}

export interface WireIngestResponse {
  received: number;
  accepted: number;
  duplicates: number;
  rejected: { index: number; message: string }[];
}
