/**
 * For sibling packages only (@insights/sandbox, which runs this runtime inside a sandbox and
 * hosts it from the node); module authors and the node use the main entry.
 */
export { ModuleRuntime, moduleFiles } from './module-runtime.ts';
export type { RuntimeEnvironment, EmitCause } from './module-runtime.ts';
export { InlineHost } from './inline-host.ts';
export { loadModuleDefinition, resolveModuleEntry, ModuleLoadError } from './loader.ts';
export { buildManifest } from './manifest.ts';
export type { ModuleManifest } from './manifest.ts';
export type { HostCall, HostCallControl, HostStatus, ModuleHost, ModuleState, Isolation, EventsControl } from './host.ts';
export type { StreamDelivery } from './events/once.ts';
export { storedJsonArray } from './events/stored-json.ts';
export type { CallAuthority, NestedCaller, NestedCallInvoker } from './call-authority.ts';
export { NEVER_ABORTS } from './call-scope.ts';
export { checkEmitFields, deriveEvent, maxHops } from './events/derived-event.ts';
export type { EmitFields } from './events/derived-event.ts';
export type { NormaliseOutcome } from './events/normalise-result.ts';
export { createLogger, LOG_LEVELS } from './resources/log.ts';
export type { Logger, LogLevel } from './resources/log.ts';
export type { CacheLimits } from './resources/cache.ts';
export { DiskModuleFiles } from './resources/files.ts';
export type { FileUrlMaker } from './resources/files.ts';
export { noLearnerIdKey } from './resources/learner-ids.ts';
export type { SqlGateway, SqlGatewayRequest } from './resources/sql-client.ts';
export type { SandboxReport, SandboxMode } from './sandbox-report.ts';
