/** For sibling packages (runtime, node, client) only; module authors use the main entry. */
export { createMeshProxy } from './mesh-proxy.ts';
export type { CallInvoker, QueryKind } from './mesh-proxy.ts';
export { MODULE_THROWABLE_CODES, codeForGrpcStatus } from './errors.ts';
export { canonicalJson } from './canonical-json.ts';
export { NameIndex, nearNames } from './name-index.ts';
export type { NamedEntry } from './name-index.ts';
export { DeadlineWheel } from './deadline-wheel.ts';
export { CallCancel, type CancelSignal } from './call-cancel.ts';
export { EndOfTurn } from './end-of-turn.ts';
export { checkJsonLimits, describeJsonBreach } from './json-limits.ts';
export type { JsonLimits, JsonLimitBreach } from './json-limits.ts';
export type { SqlRequest } from './sql.ts';
