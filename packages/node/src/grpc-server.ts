import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import {
  encodeResult,
  insightsService,
  loadPackageDefinition,
  LOADER_OPTIONS,
  SERVICE_NAME,
  toGrpcStatus,
  toInsightsError,
  type DecodedCallFrame,
  type OutgoingResultFrame,
  type WireCallRequest,
  type WireDescribeResponse,
  type WireIngestRequest,
  type WireIngestResponse,
  type WireProveRequest,
  type WireProveResponse,
} from '@insights/wire';
import { InsightsError } from '@insights/sdk';
import { CallCancel } from '@insights/sdk/internal';
import { callDeadline, callableKind, parseArgsJson, type ArgsLimits } from './call-decoding.ts';
import type { InputLimits } from './config-limits.ts';
import { eventJsonRefusal } from './events/ingest-body.ts';
import { CallStreamSession } from './call-stream-server.ts';
import type { Dispatcher } from '@insights/runtime';
import type { Authorizer } from './authorizer.ts';
import type { EventSystem } from './events/event-system.ts';
import { checkIngestToken } from './ingest-auth.ts';
import { serveIngestStream } from './ingest-stream.ts';
import { kindLabel, traced, type CallObserver } from './call-observer.ts';
import { TRACEPARENT } from './tracing.ts';
import { ConnectionGate } from './connection-gate.ts';
import { grpcServerOptions } from './grpc-server-options.ts';
import { injectorWithSessions, limitPings } from './grpc-server-pings.ts';

export interface GrpcServerDeps extends CallObserver {
  readonly events: EventSystem;
  readonly ingestTokens: readonly string[];
  readonly dispatcher: Dispatcher;
  readonly authorizer: Authorizer;
  readonly describe: () => WireDescribeResponse;
  readonly maxRequestBytes: number;
  /** maxRequestBytes and limits.maxJsonDepth, as argument parsing wants them. */
  readonly argsLimits: ArgsLimits;
  readonly limits: InputLimits;
  /** Insecure, or TLS (mutual when the node requires client certificates). */
  readonly credentials: grpc.ServerCredentials;
  /** Signs a caller's nonce with the node key (clients check it before sending capabilities). */
  readonly prove: (nonce: Uint8Array) => WireProveResponse;
}

export interface RunningGrpcServer {
  readonly address: string;
  readonly health: HealthImplementation;
  close(graceMs: number): Promise<void>;
}

/** Serves the Insights contract, grpc.health.v1 and server reflection on one port. */
export async function startGrpcServer(deps: GrpcServerDeps, host: string, port: number): Promise<RunningGrpcServer> {
  const server = new grpc.Server(
    grpcServerOptions(deps.limits, deps.maxRequestBytes, (limit) => deps.metrics.refused('grpc-metadata', limit)),
  );
  server.addService(insightsService(), handlers(deps));

  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  // Reflection covers our contract and the health service, so grpcurl discovers both.
  const healthDef = protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS);
  new ReflectionService({ ...loadPackageDefinition(), ...healthDef }).addToServer(server);

  // grpc-js has no connection limit: the node listens itself, counts connections per peer and in
  // total, and hands admitted sockets to grpc-js (its connection injector: same HTTP/2, TLS and handlers).
  // Nor does it police PING floods: the node watches the sessions it makes of them.
  const injector = injectorWithSessions(server, deps.credentials, (session) =>
    limitPings(session, deps.limits.maxPingsPerSecond, () => deps.metrics.refused('grpc-connection', 'maxPingsPerSecond')),
  );
  const gate = new ConnectionGate(deps.limits);
  const listener = net.createServer({ noDelay: true }, (socket) => {
    const refused = gate.admit(socket);
    if (refused === undefined) return injector.injectConnection(socket);
    deps.metrics.refused('grpc-connection', refused);
    socket.destroy();
  });
  // Node's own cap, one above the gate's: a backstop should the gate ever miscount.
  listener.maxConnections = deps.limits.maxConnections + 1;
  const boundPort = await new Promise<number>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => {
      listener.off('error', reject);
      resolve((listener.address() as net.AddressInfo).port);
    });
  });
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    health,
    close: async (graceMs) => {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          injector.destroy();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      // Sockets grpc-js never made a session of (a TLS handshake never finished) are ours to close.
      gate.destroyAll();
      await closed;
    },
  };
}

function handlers(deps: GrpcServerDeps): grpc.UntypedServiceImplementation {
  return {
    Prove(call: grpc.ServerUnaryCall<WireProveRequest, WireProveResponse>, cb: grpc.sendUnaryData<WireProveResponse>) {
      try {
        cb(null, deps.prove(call.request.nonce ?? new Uint8Array()));
      } catch (e) {
        cb(toGrpcStatus(toInsightsError(e)));
      }
    },

    Describe(
      call: grpc.ServerUnaryCall<{ capability: string }, WireDescribeResponse>,
      cb: grpc.sendUnaryData<WireDescribeResponse>,
    ) {
      try {
        cb(null, deps.authorizer.filterDescribe(deps.describe(), call.request.capability ?? ''));
      } catch (e) {
        cb(toGrpcStatus(toInsightsError(e)));
      }
    },

    Call(call: grpc.ServerUnaryCall<WireCallRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const cancel = new CallCancel();
      call.on('cancelled', () => cancel.cancel(new InsightsError('CANCELLED', 'call cancelled by the caller')));
      const asked = grpcDeadline(call.getDeadline());
      const req = call.request;
      const startedAt = performance.now();
      const traceparent = req.traceparent || String(call.metadata.get(TRACEPARENT)[0] ?? '');
      traced(deps, kindLabel(req.kind), req.name, traceparent, async () => {
        const kind = callableKind(req.kind);
        const deadline =
          asked === undefined ? undefined : callDeadline(Math.max(1, asked - Date.now()), deps.limits.maxDeadlineMs, 'deadline');
        const { args, authority, parentId } = deps.authorizer.authorize(
          kind,
          req.name,
          parseArgsJson(req.argsJson, deps.argsLimits),
          req.capability,
          { parentCall: req.parentCall, traceparent },
        );
        const outcome = await deps.dispatcher.call({
          kind,
          name: req.name,
          args,
          authority,
          deadline,
          signal: cancel,
          traceparent,
          parentId,
        });
        return { result: encodeResult(outcome) };
      }).then(
        (res) => {
          deps.metrics.observeCall(kindLabel(req.kind), req.name, startedAt, 'OK');
          cb(null, res);
        },
        (e: unknown) => {
          const err = toInsightsError(e);
          deps.metrics.observeCall(kindLabel(req.kind), req.name, startedAt, err.code);
          cb(toGrpcStatus(err));
        },
      );
    },

    CallStream(stream: grpc.ServerDuplexStream<DecodedCallFrame, OutgoingResultFrame>) {
      new CallStreamSession(stream, deps);
    },

    Ingest(call: grpc.ServerUnaryCall<WireIngestRequest, WireIngestResponse>, cb: grpc.sendUnaryData<WireIngestResponse>) {
      traced(deps, 'ingest', 'events', String(call.metadata.get(TRACEPARENT)[0] ?? ''), () => ingest(deps, [call.request])).then(
        (r) => cb(null, r),
        (e: unknown) => cb(toGrpcStatus(toInsightsError(e))),
      );
    },

    IngestStream(
      call: grpc.ServerReadableStream<WireIngestRequest, WireIngestResponse>,
      cb: grpc.sendUnaryData<WireIngestResponse>,
    ) {
      serveIngestStream(call, cb, (req, base) => ingest(deps, [req], base));
    },
  };
}

async function ingest(deps: GrpcServerDeps, reqs: WireIngestRequest[], base = 0): Promise<WireIngestResponse> {
  const raws: unknown[] = [];
  const rejected: { index: number; message: string }[] = [];
  let index = base;
  let wait = false;
  let timeoutMs = 0;
  for (const req of reqs) {
    checkIngestToken(deps.ingestTokens, req.capability);
    wait ||= req.waitForHandlers;
    timeoutMs = Math.max(timeoutMs, req.waitTimeoutMs);
    for (const bytes of req.eventsJson) {
      const refusal = eventJsonRefusal(bytes, deps.limits);
      if (refusal !== undefined) {
        rejected.push({ index, message: refusal });
        raws.push(undefined);
        index++;
        continue;
      }
      try {
        raws.push(JSON.parse(Buffer.from(bytes).toString('utf8')));
      } catch (e) {
        rejected.push({ index, message: `not JSON: ${(e as Error).message}` });
        raws.push(undefined);
      }
      index++;
    }
  }
  const positions = raws.map((r, i) => (r === undefined ? -1 : base + i)).filter((i) => i >= 0);
  const r = await deps.events.ingest(
    raws.filter((r) => r !== undefined),
    { waitForHandlers: wait, ...(timeoutMs > 0 ? { timeoutMs } : {}) },
  );
  return {
    received: raws.length,
    accepted: r.accepted,
    duplicates: r.duplicates,
    rejected: [...rejected, ...r.rejected.map((x) => ({ index: positions[x.index] ?? x.index, message: x.message }))].sort(
      (a, b) => a.index - b.index,
    ),
  };
}

function grpcDeadline(d: grpc.Deadline): number | undefined {
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : undefined;
}
