/**
 * @insights/runtime: runs module definitions with their per-module resources, behind the
 * ModuleHost boundary. Where a module runs (inline, worker, process sandbox) is @insights/sandbox's.
 */
export { ModuleRuntime } from './module-runtime.ts';
export type { RuntimeEnvironment } from './module-runtime.ts';
export { InlineHost } from './inline-host.ts';
export type { ModuleHost, HostCall, HostCallControl, HostStatus, ModuleState, Isolation, EventsControl } from './host.ts';
export { buildManifest } from './manifest.ts';
export type { ModuleManifest, AnalyticManifest, AnalyticKind } from './manifest.ts';
export { compileParams } from './params.ts';
export type { CompiledParams } from './params.ts';
export { loadModuleDefinition, resolveModuleEntry, ModuleLoadError } from './loader.ts';
export { deadlineSignal, raceSignal, minDeadline, deadlineExceeded } from './deadline.ts';
export { waitAtMost } from './wait-at-most.ts';
export { randomString } from './random-pool.ts';
export { LruModuleCache, DEFAULT_CACHE_LIMITS } from './resources/cache.ts';
export type { CacheLimits } from './resources/cache.ts';
export { DiskModuleFiles } from './resources/files.ts';
export type { FileUrlMaker } from './resources/files.ts';
export { UrlSigner } from './resources/url-signer.ts';
export { LearnerIdKey, MIN_LEARNER_ID_KEY_CHARS } from './resources/learner-ids.ts';
export { createLogger, stderrJsonSink, LOG_LEVELS } from './resources/log.ts';
export type { Logger, LogSink, LogRecord, LogLevel } from './resources/log.ts';
export type { SqlGateway, SqlGatewayRequest } from './resources/sql-client.ts';
export { ReadOnlyDb } from './resources/read-only-db.ts';
export { Dispatcher } from './dispatcher.ts';
export type {
  CallAuthority,
  AuthorityTarget,
  NestedCaller,
  NestedCallInvoker,
  NestedCallGuard,
  CallRecord,
  CallRecorder,
} from './call-authority.ts';
export type { DispatchRequest, NodeRoute } from './dispatcher.ts';
export type { SandboxReport, SandboxMode } from './sandbox-report.ts';
export { EventRouter } from './events/event-router.ts';
export type { HandlerRef, NormaliseReport } from './events/event-router.ts';
export { typeMatches, anyTypeMatches } from './events/subject-match.ts';
export { stableEventId } from './events/event-id.ts';
export { rememberStoredJson } from './events/stored-json.ts';
export { MAX_EVENT_HOPS } from './events/hops.ts';
export type { NormaliseOutcome } from './events/normalise-result.ts';
export { updateOnce, once, SEEN_WINDOW, APPLIED_CAP } from './events/once.ts';
export type { StreamDelivery, StreamPosition } from './events/once.ts';
export { eventPosition, floorPosition, PAGE_SLOTS } from './events/stream-position.ts';
export { DirectDelivery } from './events/direct-delivery.ts';
export type { IngestReport } from './events/direct-delivery.ts';
export { CallScope, NEVER_ABORTS } from './call-scope.ts';
