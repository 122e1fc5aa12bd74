/** @insights/wire: the gRPC contract as TypeScript, shared by node and client. */
export {
  PROTO_ROOT,
  PROTO_FILE,
  SERVICE_NAME,
  LOADER_OPTIONS,
  loadPackageDefinition,
  insightsService,
  insightsClientConstructor,
} from './proto.ts';
export { kindToWire, kindFromWire } from './messages.ts';
export type * from './messages.ts';
export {
  EncodedJson,
  encodeResult,
  encodeResultBody,
  encodedJsonOf,
  decodeResult,
  decodeArgs,
  encodeJson,
  CONTENT_TYPES,
} from './result-codec.ts';
export type { CallOutcome, RawOutcome } from './result-codec.ts';
export { toCsv, neutraliseFormula } from './csv.ts';
export type { CsvTable } from './csv.ts';
export { ERROR_TRAILER, toInsightsError, errorToDetail, detailToError, toGrpcStatus, fromGrpcError } from './errors.ts';
export { encodeCallFrame, decodeCallFrame, encodeResultFrame, decodeResultFrame } from './frame-codec.ts';
export type {
  OutgoingCallFrame,
  OutgoingStreamCall,
  OutgoingResult,
  OutgoingStreamResult,
  OutgoingResultFrame,
  DecodedCallFrame,
  DecodedResultFrame,
  DecodedStreamResult,
} from './frame-codec.ts';
export { coerceStringArgs } from './string-args.ts';
// Shared with the registry (which does not depend on the wire), so it lives in the SDK's internal surface.
export { checkJsonLimits, describeJsonBreach } from '@insights/sdk/internal';
export type { JsonLimits, JsonLimitBreach } from '@insights/sdk/internal';
