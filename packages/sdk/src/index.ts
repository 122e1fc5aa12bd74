/** @insights/sdk: what a module author imports. */
export { z } from 'zod';
export { defineModule, isModuleDefinition, SDK_CONTRACT_VERSION, MAX_LEARNER_FIELDS } from './module.ts';
export type { ModuleDefinition, ModuleInit, InferMesh } from './module.ts';
export { isModuleName, MODULE_NAME_PATTERN, MODULE_NAME_RULE } from './module-name.ts';
export { query, view, eventHandler, eventProperty, job, normaliser } from './analytic.ts';
export { eventLoop } from './event-loop.ts';
export type { EventLoopInit } from './event-loop.ts';
export type {
  ParamShape,
  ArgsOf,
  InputOf,
  QueryDefinition,
  ViewDefinition,
  EventHandlerDefinition,
  EventPropertyDefinition,
  JobDefinition,
  NormaliserDefinition,
  EventFilter,
  DeliveryMode,
  StartFrom,
  Schedule,
  MemoizeOptions,
  AnyQuery,
  AnyView,
} from './analytic.ts';
export type { Context, EventContext } from './context.ts';
export type { EventEnvelope } from './event.ts';
export { canonicalJson } from './canonical-json.ts';
export { hashEventId, HASH_ID_HEX_LENGTH } from './event-id.ts';
export type * from './db.ts';
export type { ModuleFiles, ModuleCache, ModuleLog, CacheSetOptions } from './resources.ts';
export type { SqlClient, SqlParam, SqlRow, SqlRowsOptions } from './sql.ts';
export type { CallOptions, UntypedMesh } from './mesh-proxy.ts';
export { html, svg, png, table, vegaLite, tableFromRecords, isViewResult } from './view-result.ts';
export type { ViewResult, HtmlResult, SvgResult, PngResult, TableResult, TableCell, VegaLiteResult } from './view-result.ts';
export {
  InsightsError,
  isInsightsError,
  isErrorCode,
  invalidArgument,
  notFound,
  ERROR_CODES,
  RETRYABLE_CODES,
} from './errors.ts';
export type { ErrorCode, SerializedError, ErrorFields } from './errors.ts';
