/**
 * Public surface of the edX data layer: pure functions, no SDK wiring (that is `index.ts`).
 * Explicit named exports only; every type in a public signature is exported.
 */
export { canonicalJson } from '@insights/sdk';
export { courseIdFromUrl } from './course-id.ts';
export { EDX_ERROR_CODES, EdxDataError, isEdxDataError } from './errors.ts';
export type { EdxDataErrorFields, EdxErrorCode } from './errors.ts';
export { eventId, hashEventId, HASH_ID_HEX_LENGTH } from './event-id.ts';
export {
  decodeBody,
  EDX_SOURCE,
  isXapiStatement,
  normalise,
  PAGE_VIEW_TYPE,
  tryNormalise,
  XAPI_SOURCE,
  xapiActor,
} from './normalise.ts';
export type { NormaliseResult } from './normalise.ts';
export { computeProperty, EDX_EVENT_PROPERTIES, EVENT_PROPERTIES, findProperty, XAPI_EVENT_PROPERTIES } from './properties.ts';
export type { EventProperty } from './properties.ts';
export { normaliseTime } from './time.ts';
export { parseTrackingLogLine } from './tracking-log.ts';
export type { LineParseError, ParsedEventLine, ParsedLine, RawEvent, SkippedLine } from './tracking-log.ts';
export { DEFAULT_MAX_LINE_BYTES, readTrackingLog, readTrackingLogBatches } from './tracking-log-stream.ts';
export type { ReadTrackingLogOptions, TrackingLogInput, TrackingLogProgress } from './tracking-log-stream.ts';
export {
  DEFAULT_TRANSFORMER_VERSION,
  edxToXapi,
  fromTrackingLog,
  isXapiSupported,
  XAPI_SUPPORTED_EVENTS,
  xapiActorUser,
  xapiVerbOf,
} from './xapi/index.ts';
export type { EdxToXapiOptions } from './xapi/index.ts';
export type {
  Extensions,
  LanguageMap,
  XapiActivity,
  XapiActivityDefinition,
  XapiAgent,
  XapiContext,
  XapiContextActivities,
  XapiResult,
  XapiScore,
  XapiStatement,
  XapiVerb,
} from './xapi/statement.ts';
