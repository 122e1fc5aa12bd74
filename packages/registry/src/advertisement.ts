import { z } from 'zod';

/**
 * What a node tells the mesh about itself: identity, addresses, state and every module with its
 * analytics and parameter schemas. Clients route from this alone, without calling each node.
 */
export const analyticViewSchema = z.object({
  kind: z.enum(['query', 'view', 'event-handler', 'event-property', 'job', 'normaliser']),
  name: z.string().min(1),
  aliases: z.array(z.string()).default([]),
  description: z.string().default(''),
  params: z.record(z.string(), z.unknown()).default({}),
  idempotent: z.boolean().default(true),
  meta: z.record(z.string(), z.unknown()).default({}),
});

export const moduleViewSchema = z.object({
  name: z.string().min(1),
  version: z.string().default(''),
  description: z.string().default(''),
  state: z.string().default('ready'),
  lastError: z.string().default(''),
  isolation: z.string().default(''),
  analytics: z.array(analyticViewSchema).default([]),
});

export const nodeStateSchema = z.enum(['starting', 'serving', 'draining', 'degraded']);

export const nodeViewSchema = z.object({
  id: z.string().min(1),
  labels: z.array(z.string()).default([]),
  version: z.string().default(''),
  grpcAddress: z.string().min(1),
  httpAddress: z.string().default(''),
  state: nodeStateSchema,
  modules: z.array(moduleViewSchema).default([]),
  /** The node serves gRPC over TLS: clients must connect with TLS credentials. */
  tls: z.boolean().optional(),
  /**
   * The node's public key (SPKI PEM), from its mesh-signed certificate: set by a watcher that
   * verified the advertisement, so the client can make the node prove it holds the key.
   */
  nodeKey: z.string().optional(),
});

export const advertisementSchema = nodeViewSchema.extend({
  v: z.literal(1),
  /** A node that has not heartbeaten for this long is gone. */
  ttlMs: z.number().int().positive(),
  updatedAt: z.string(),
  /** The node's certificate (`inc1.`, signed by the mesh key) naming its id and public key. */
  certificate: z.string().optional(),
  /** The node key's signature of this advertisement (canonical JSON without this field). */
  signature: z.string().optional(),
});

export const heartbeatSchema = z.object({
  v: z.literal(1),
  ttlMs: z.number().int().positive(),
  state: nodeStateSchema,
  /** Increments with every heartbeat; lets a watcher tell a restart (it drops) from a beat. */
  seq: z.number().int().nonnegative(),
  /** The node's clock when it beat, ms (signed: a replayed beat is refused once it is older than a TTL). */
  at: z.number().int().nonnegative().optional(),
  /**
   * The node wrote this beat with a server-side TTL (see server-expiry.ts): the server's removal
   * marker, not the watcher's timer, tells that the node is gone; the timer is only a fallback.
   */
  serverTtl: z.boolean().optional(),
  /** The node key's signature of the rest (see signHeartbeat); required where advertisements are checked. */
  sig: z.string().max(200).optional(),
});

export type AnalyticView = z.output<typeof analyticViewSchema>;
export type ModuleView = z.output<typeof moduleViewSchema>;
export type NodeState = z.output<typeof nodeStateSchema>;
/** A node as clients see it, from the registry or from a direct Describe. */
export type NodeView = z.output<typeof nodeViewSchema>;
export type Advertisement = z.output<typeof advertisementSchema>;
export type Heartbeat = z.output<typeof heartbeatSchema>;

export const DEFAULT_BUCKET = 'insights-registry';
export const DEFAULT_TTL_MS = 6_000;
/** Advertisements are re-written this often so the bucket's max age never removes a live node's. */
export const AD_REFRESH_MS = 10 * 60_000;
/**
 * With server-side TTL, an advertisement not re-written for this long is removed by the server:
 * a crashed node's leaves the bucket well before its max age, and two refreshes in a row may
 * fail (NATS unreachable) before a live node's expires (it writes it again as soon as it can).
 */
export const AD_TTL_MS = 3 * AD_REFRESH_MS;
/** Entries of nodes that vanished without withdrawing are cleaned up by the bucket after this (without server-side TTL). */
export const BUCKET_MAX_AGE_MS = 60 * 60_000;

export const adKey = (nodeId: string): string => `node.${nodeId}`;
export const heartbeatKey = (nodeId: string): string => `alive.${nodeId}`;

/** KV keys are NATS subject tokens: node ids must not contain dots, spaces or wildcards. */
export function assertNodeId(id: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new Error(`node id "${id}" may only contain letters, digits, "-" and "_" (it is a NATS KV key)`);
}
