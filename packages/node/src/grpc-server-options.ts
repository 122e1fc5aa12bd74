import * as grpc from '@grpc/grpc-js';
import { InsightsError } from '@insights/sdk';
import { toGrpcStatus } from '@insights/wire';
import type { InputLimits } from './config-limits.ts';

type Http2Limits = Pick<
  InputLimits,
  'maxConcurrentStreams' | 'maxMetadataBytes' | 'keepaliveTimeMs' | 'keepaliveTimeoutMs' | 'maxConnectionIdleMs'
>;

/** HTTP/2 counts each header as its name, its value and 32 bytes of overhead (RFC 9113, SETTINGS_MAX_HEADER_LIST_SIZE). */
const HEADER_OVERHEAD_BYTES = 32;

/**
 * grpc-js options for the node's server: message size, and the HTTP/2 bounds a peer must not be
 * able to lift. grpc-js applies no stream limit and never pings unless told: without these, one
 * connection could open streams without end, and a vanished peer would hold its connection slot
 * (limits.maxConnectionsPerPeer) forever.
 */
export function grpcServerOptions(
  limits: Http2Limits,
  maxRequestBytes: number,
  onRefused: (limit: 'maxMetadataBytes') => void,
): grpc.ServerOptions {
  return {
    'grpc.max_receive_message_length': maxRequestBytes + 64 * 1024,
    'grpc.max_send_message_length': -1,
    // Sent in the server's SETTINGS; nghttp2 refuses (REFUSED_STREAM) any stream beyond it.
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs,
    interceptors: [metadataLimit(limits.maxMetadataBytes, onRefused)],
  };
}

/**
 * Refuses a call whose metadata is larger than `maxBytes`, with the limit named. grpc-js cannot
 * set HTTP/2's own header list limit, so Node's default (64 KiB) bounds what is buffered, and
 * this gives the caller a coded answer well below it.
 */
function metadataLimit(maxBytes: number, onRefused: (limit: 'maxMetadataBytes') => void): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const bytes = metadataBytes(metadata);
            if (bytes <= maxBytes) return pass(metadata);
            onRefused('maxMetadataBytes');
            const status = toGrpcStatus(
              new InsightsError(
                'RESOURCE_EXHAUSTED',
                `the call's metadata is ${bytes} bytes; limits.maxMetadataBytes is ${maxBytes}`,
              ),
            );
            call.sendStatus({ ...status, details: status.details ?? '' });
          },
        }),
    });
}

function metadataBytes(metadata: grpc.Metadata): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata.toHttp2Headers())) {
    for (const v of Array.isArray(value) ? value : [value]) bytes += name.length + String(v).length + HEADER_OVERHEAD_BYTES;
  }
  return bytes;
}
