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
    maxProcessFaultsPerMinute: limit(
      1,
      D.maxProcessFaultsPerMinute,
      'Unhandled rejections and uncaught exceptions per minute the `insights node` process survives (each logged and counted); one more ends it (exit code 70)',
    ),
  })
  .default({ ...D })
  .describe('Bounds on what callers and NATS may send this node');

export type InputLimits = z.output<typeof inputLimitsSchema>;
