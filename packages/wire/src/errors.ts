import * as grpc from '@grpc/grpc-js';
import { ERROR_CODES, InsightsError, isErrorCode, isInsightsError } from '@insights/sdk';
import { codeForGrpcStatus } from '@insights/sdk/internal';
import type { WireErrorDetail } from './messages.ts';

/** Trailer carrying the structured error (JSON-encoded ErrorDetail) of a failed unary call. */
export const ERROR_TRAILER = 'insights-error-bin';

export function toInsightsError(e: unknown): InsightsError {
  if (isInsightsError(e)) return e;
  return new InsightsError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
}

export function errorToDetail(e: InsightsError): WireErrorDetail {
  return {
    code: e.code,
    message: e.message,
    parameter: e.parameter ?? '',
    suggestions: [...e.suggestions],
    analytic: e.analytic ?? '',
    grpcStatus: ERROR_CODES[e.code].grpc,
  };
}

export function detailToError(d: WireErrorDetail): InsightsError {
  const code = isErrorCode(d.code) ? d.code : codeForGrpcStatus(d.grpcStatus);
  return new InsightsError(code, d.message, {
    ...(d.parameter ? { parameter: d.parameter } : {}),
    suggestions: d.suggestions,
    ...(d.analytic ? { analytic: d.analytic } : {}),
  });
}

/** A gRPC status object (for `callback(err)` on the server) carrying the structured detail. */
export function toGrpcStatus(e: InsightsError): Partial<grpc.StatusObject> & { code: grpc.status } {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_TRAILER, Buffer.from(JSON.stringify(errorToDetail(e))));
  return { code: ERROR_CODES[e.code].grpc as grpc.status, details: wellFormed(e.message), metadata };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * grpc-js percent-encodes the status message with encodeURI, which throws on a lone surrogate,
 * outside any handler: an error message quoting a caller's malformed name killed the node.
 */
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/** Turns a grpc-js client error back into a typed mesh error. */
export function fromGrpcError(e: grpc.ServiceError): InsightsError {
  const raw = e.metadata?.get(ERROR_TRAILER)[0];
  if (raw !== undefined) {
    try {
      return detailToError(JSON.parse(Buffer.isBuffer(raw) ? raw.toString() : raw) as WireErrorDetail);
    } catch {
      // fall through: a malformed trailer must not hide the status itself
    }
  }
  return new InsightsError(codeForGrpcStatus(e.code), e.details || e.message, { cause: e });
}
