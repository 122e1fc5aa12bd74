/** @insights/registry: nodes advertise themselves in a NATS KV bucket; clients watch it. */
export { Advertiser } from './advertiser.ts';
export type { AdvertiserOptions } from './advertiser.ts';
export { RegistryWatcher } from './watcher.ts';
export type { WatcherOptions, WatchScope } from './watcher.ts';
export { NodeRegistryWatch, DEFAULT_MESH_IDLE_MS } from './node-registry-watch.ts';
export type { NodeRegistryWatchOptions, RegistryFeed } from './node-registry-watch.ts';
export { RegistryView } from './registry-view.ts';
export type { RegistryEntry, RegistryRefusal, RegistryRefusalListener } from './registry-view.ts';
export { openRegistryBucket } from './bucket.ts';
export type { BucketOptions } from './bucket.ts';
export {
  advertisementSchema,
  nodeViewSchema,
  DEFAULT_BUCKET,
  DEFAULT_TTL_MS,
  adKey,
  heartbeatKey,
  assertNodeId,
} from './advertisement.ts';
export type { Advertisement, NodeView, ModuleView, AnalyticView, NodeState, Heartbeat } from './advertisement.ts';
export {
  connectNatsWithRetry,
  natsSettingsSchema,
  natsSettingsFrom,
  toConnectionOptions,
  isOpenNats,
  inProduction,
  OPEN_NATS_WARNING,
} from './nats-connection.ts';
export { createMeshNatsAuth, NATS_ROLES } from './nats-auth.ts';
export type { MeshNatsAuth, MeshNatsAuthOptions, NatsRole } from './nats-auth.ts';
export type { NatsSettings, ConnectRetryOptions } from './nats-connection.ts';
export { AdvertisementTrust, signAdvertisement, certificateMatchesKey } from './advertisement-trust.ts';
export type { NodeIdentity } from './advertisement-trust.ts';
export { nodeViewFromDescribe } from './describe-view.ts';
export type { DescribeLike } from './describe-view.ts';
export { AUDIT_SUBJECT_PREFIX, DEFAULT_AUDIT_STREAM, auditMatches, auditRecordsOf, readAuditRecords } from './audit-records.ts';
export type { AuditRecord, AuditFilter } from './audit-records.ts';
