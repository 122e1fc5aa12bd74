/**
 * The RuntimeEnvironment of a module inside its sandbox: its own files and cache, and everything
 * that belongs to the node (its database, mesh calls, signed URLs, events, the log) reached over
 * the channel. The sandbox never opens a database: the node owns every handle (remote-db.ts).
 */
import type { CallOptions, EventEnvelope } from '@insights/sdk';
import type { QueryKind } from '@insights/sdk/internal';
import { createLogger } from '@insights/runtime/internal';
import type { NestedCaller, NestedCallInvoker, EmitFields, RuntimeEnvironment, FileUrlMaker } from '@insights/runtime/internal';
import { DB_ERROR_CODES, DbError } from '@insights/db/internal';
import { LogRateLimiter } from './log-rate.ts';
import { channelSqlGateway, type SqlAsk } from './sql-cursors.ts';
import type { MessageSink } from './outbox.ts';
import type { DbOperation } from './db-protocol.ts';
import { remoteDbProvider } from './remote-db.ts';
import {
  fromWireError,
  type ChildMessage,
  type DoneMessage,
  type FailedMessage,
  type InitMessage,
  type WireError,
} from './protocol.ts';

type Ask =
  | {
      type: 'mesh';
      kind: QueryKind;
      name: string;
      args: Record<string, unknown>;
      deadline: number | undefined;
      call: number | undefined;
    }
  | { type: 'file-url'; name: string; ttlSeconds: number }
  | { type: 'learner-id'; learner: string }
  | { type: 'emit'; handler: string; parents: readonly string[]; event: EmitFields }
  | { type: 'db'; op: DbOperation; of?: string; call?: number | undefined }
  | { type: 'event-property'; name: string; event: EventEnvelope }
  | ({ type: 'sql' } & SqlAsk);

/** Requests from the sandbox to its host, answered by `done`/`failed` with the same id. */
export class HostRequests {
  #next = 0;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly out: MessageSink<ChildMessage>) {}

  ask(message: Ask, signal?: AbortSignal): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = () => {
        if (!this.#pending.delete(id)) return;
        this.out.push({ type: 'mesh-cancel', id });
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (v) => (signal?.removeEventListener('abort', onAbort), resolve(v)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      });
      this.out.push({ ...message, id });
    });
  }

  settle(m: DoneMessage | FailedMessage): void {
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    this.#pending.delete(m.id);
    if (m.type === 'done') p.resolve(m.value);
    // Database errors keep their DB_* code, as the Db interface promises module code.
    else if (Object.hasOwn(DB_ERROR_CODES, m.error.code))
      p.reject(new DbError(m.error.code as DbError['code'], String(m.error.message)));
    else p.reject(fromWireError(m.error));
  }
}

/** The error a host's answer carries; database errors keep their DB_* code, as the Db interface promises module code. */
export function errorFromHost(e: WireError): Error {
  if (Object.hasOwn(DB_ERROR_CODES, e.code)) return new DbError(e.code as DbError['code'], String(e.message), { ...e.db });
  return fromWireError(e);
}

/**
 * `ctx.mesh` inside a sandbox: every call goes to the host, which runs it through its Dispatcher
 * with the authority of the request it names (the sandbox holds ids, never capabilities).
 */
export class RemoteMesh implements NestedCallInvoker {
  #names: Record<QueryKind, string[]> = { query: [], view: [] };

  constructor(private readonly requests: HostRequests) {}

  setNames(query: readonly string[], view: readonly string[]): void {
    this.#names = { query: [...query], view: [...view] };
  }

  names(kind: QueryKind): string[] {
    return this.#names[kind];
  }

  invoke(
    kind: QueryKind,
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    caller?: NestedCaller,
  ): Promise<unknown> {
    const deadline = options.deadline ?? (options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs);
    return this.requests.ask({ type: 'mesh', kind, name, args, deadline, call: caller?.callId }, options.signal);
  }
}

const RECORD_KEYS = new Set(['level', 'time', 'msg', 'module', 'node']);

export function childEnvironment(
  init: InitMessage,
  out: MessageSink<ChildMessage>,
  requests: HostRequests,
  mesh: RemoteMesh,
): RuntimeEnvironment {
  const limiter = new LogRateLimiter(init.maxLogRecordsPerSecond);
  let reporting = false;
  const log = createLogger(
    (record) => {
      if (!limiter.take()) {
        // Say once a second how much was dropped, instead of flooding the node.
        if (!reporting) {
          reporting = true;
          setTimeout(() => {
            reporting = false;
            out.push({ type: 'log', level: 'warn', msg: 'module log throttled', fields: { dropped: limiter.takeDropped() } });
          }, 1000).unref();
        }
        return;
      }
      let fields: Record<string, unknown> | undefined;
      for (const k in record) if (!RECORD_KEYS.has(k)) (fields ??= {})[k] = record[k];
      out.push({ type: 'log', level: record.level, msg: record.msg, fields });
    },
    {},
    init.logLevel,
  );
  // Signing needs the node's secret, which stays in the node: ask it (DiskModuleFiles.url awaits this).
  const makeFileUrl = ((_module: string, name: string, ttlSeconds: number) =>
    requests.ask({ type: 'file-url', name, ttlSeconds }) as Promise<string>) satisfies FileUrlMaker;
  return {
    dataDir: init.dataDir,
    sharedState: init.sharedState,
    db: remoteDbProvider((op) => requests.ask({ type: 'db', op })),
    // The host checks the grant and refuses writes; the module never names its own identity.
    // Named by the request it is read for: the host bounds reads through the mesh by that request's deadline.
    readDb: (_reader, owner, call) =>
      remoteDbProvider((op) => requests.ask({ type: 'db', op, of: owner, call: call?.callId })).forModule(owner),
    makeFileUrl,
    // The key stays in the node: the sandbox sends the id and gets the keyed value back.
    learnerId: (learner) => requests.ask({ type: 'learner-id', learner }) as Promise<string>,
    mesh,
    log,
    sql: channelSqlGateway((m, signal) => requests.ask({ ...m, type: 'sql' }, signal)),
    // Only what the module decides crosses; the host sets source, id and hops from the events it sent.
    ...(init.emit
      ? {
          emit: async (_event: EventEnvelope, cause: { handler: string; parents: readonly string[]; fields: EmitFields }) =>
            void (await requests.ask({ type: 'emit', handler: cause.handler, parents: cause.parents, event: cause.fields })),
        }
      : {}),
    ...(init.property
      ? { property: (event: EventEnvelope, name: string) => requests.ask({ type: 'event-property', name, event }) }
      : {}),
    ...(init.cacheLimits === undefined ? {} : { cacheLimits: init.cacheLimits }),
  };
}
