import { z } from 'zod';

/** Defaults of the limits on what callers and NATS may send a node (see deploy/SECURITY.md). */
export const DEFAULT_INPUT_LIMITS = Object.freeze({
  maxJsonDepth: 64,
  maxEventBytes: 1024 * 1024,
  maxCallsPerFrame: 4096,
  maxFramesInFlightPerStream: 1024,
  maxConnections: 2048,
  maxConnectionsPerPeer: 128,
  maxDeadlineMs: 15 * 60_000,
  maxProcessFaultsPerMinute: 100,
  maxConcurrentStreams: 100,
  maxMetadataBytes: 8 * 1024,
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  maxConnectionIdleMs: 15 * 60_000,
  // Floods are thousands a second; gRPC C-core (Python) and Go clients probe bandwidth with bursts
  // of a few dozen pings while they read a large result (BDP estimation), which must pass.
  maxPingsPerSecond: 100,
});

const limit = (min: number, def: number, text: string) => z.number().int().min(min).default(def).describe(text);
const D = DEFAULT_INPUT_LIMITS;

/** `limits` of the node config: every entry point's bound, each named in the error that enforces it. */
export const inputLimitsSchema = z
  .strictObject({
    maxJsonDepth: limit(
      1,
      D.maxJsonDepth,
      'Deepest nesting of arrays and objects in call arguments and events (checked before parsing)',
    ),
    maxEventBytes: limit(
      64,
      D.maxEventBytes,
      'Largest single event, bytes, at ingest and as read from NATS (larger ones go to dead letters)',
    ),
    maxCallsPerFrame: limit(1, D.maxCallsPerFrame, 'Calls one CallStream frame may carry'),
    maxFramesInFlightPerStream: limit(
      1,
      D.maxFramesInFlightPerStream,
      'CallStream frames whose calls have not all been answered, per stream; beyond it calls fail RESOURCE_EXHAUSTED',
    ),
    maxConnections: limit(1, D.maxConnections, 'Open connections to the gRPC port, and separately to the HTTP port'),
    maxConnectionsPerPeer: limit(1, D.maxConnectionsPerPeer, 'Open connections from one IP address, per port'),
    maxDeadlineMs: limit(1, D.maxDeadlineMs, 'Longest deadline (timeout) a caller may ask for, ms'),
    maxConcurrentStreams: limit(
      1,
      D.maxConcurrentStreams,
      'HTTP/2 streams (calls in progress) one gRPC connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS; more are refused)',
    ),
    maxMetadataBytes: limit(
      64,
      D.maxMetadataBytes,
      'Largest metadata (headers) of one gRPC call, bytes; larger calls fail RESOURCE_EXHAUSTED (Node refuses header blocks over 64 KiB before that)',
    ),
    keepaliveTimeMs: limit(
      1000,
      D.keepaliveTimeMs,
      'The node pings each gRPC connection this often, ms; a peer that does not answer within keepaliveTimeoutMs is closed',
    ),
    keepaliveTimeoutMs: limit(
      1000,
      D.keepaliveTimeoutMs,
      'How long a keepalive ping may go unanswered before the connection is closed, ms',
    ),
    maxConnectionIdleMs: limit(
      1000,
      D.maxConnectionIdleMs,
      'A gRPC connection with no call for this long is closed (clients reconnect when they need to), ms',
    ),
    maxPingsPerSecond: limit(
      1,
      D.maxPingsPerSecond,
      'HTTP/2 PING frames a peer may send on one gRPC connection within a second; past it the connection is closed (GOAWAY ENHANCE_YOUR_CALM). Clients ping for keepalive every 30 s or so, and C-core and Go clients in short bursts to size their receive windows',
    ),
    maxProcessFaultsPerMinute: limit(
      1,
      D.maxProcessFaultsPerMinute,
      'Unhandled rejections and uncaught exceptions per minute the `insights node` process survives (each logged and counted); one more ends it (exit code 70)',
    ),
  })
  .prefault({})
  .describe('Bounds on what callers and NATS may send this node');

export type InputLimits = z.output<typeof inputLimitsSchema>;
