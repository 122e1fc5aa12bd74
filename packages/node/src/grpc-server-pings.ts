import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/** How often a peer's PING frames are counted: per second. */
const WINDOW_MS = 1000;
const TOO_MANY_PINGS = Buffer.from('too_many_pings');

/**
 * Makes grpc-js's connection injector and hands each HTTP/2 session it serves to `onSession`.
 * grpc-js has no public hook for its sessions (and no server-side ping policy, unlike C-core's
 * `max_ping_strikes`), so this reads the HTTP/2 server the injector adds to the grpc.Server's
 * own table. A grpc-js that no longer keeps that table fails here, at start, not silently.
 */
export function injectorWithSessions(
  server: grpc.Server,
  credentials: grpc.ServerCredentials,
  onSession: (session: http2.ServerHttp2Session) => void,
): grpc.ConnectionInjector {
  const table = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(table instanceof Map)) throw unsupported();
  const before = new Set(table.keys());
  const injector = server.createConnectionInjector(credentials);
  const made = [...(table as Map<unknown, unknown>).keys()].filter((s) => !before.has(s));
  const http2Server = made[0];
  if (made.length !== 1 || !(http2Server instanceof EventEmitter)) {
    injector.destroy();
    throw unsupported();
  }
  http2Server.on('session', onSession);
  return injector;
}

function unsupported(): Error {
  return new Error(
    'this @grpc/grpc-js keeps no table of its HTTP/2 servers: the node cannot watch its connections for PING floods (limits.maxPingsPerSecond); use the @grpc/grpc-js version of the lockfile',
  );
}

/**
 * Closes `session` (GOAWAY ENHANCE_YOUR_CALM "too_many_pings", as gRPC C-core does) once its
 * peer sends more than `maxPerSecond` PING frames within a second. Answers to the node's own
 * keepalive pings are PING ACKs and do not count; a client's keepalive pings (every 30 s for
 * @insights/client) and the bandwidth probes of C-core and Go clients (a few dozen while a large
 * result is read) stay below the default (config-limits.ts).
 */
export function limitPings(session: http2.ServerHttp2Session, maxPerSecond: number, onRefused: () => void): void {
  let windowStart = 0;
  let pings = 0;
  session.on('ping', () => {
    const now = performance.now();
    if (now - windowStart >= WINDOW_MS) {
      windowStart = now;
      pings = 0;
    }
    if (++pings <= maxPerSecond || session.destroyed) return;
    onRefused();
    try {
      session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, TOO_MANY_PINGS);
    } catch {
      // Already closing: destroy below ends it.
    }
    session.destroy();
  });
}
