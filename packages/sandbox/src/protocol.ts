/**
 * The messages between a module host (parent) and its sandbox (child process or worker).
 *
 * Both directions send batches: one frame (frame-channel.ts) or worker message is an array of
 * these, collected during one turn of the event loop, at most 64 (see outbox.ts). Calls and their
 * JSON results, the hot path, cross packed: each run of them in a batch is one buffer (packed.ts).
 * The other messages are structured-cloned (V8's serialisation in a process's frames,
 * postMessage for workers), so Uint8Array (PNG views, files) stays binary.
 *
 * Requests carry an `id` chosen by the side that asks; the answer is `done` or `failed` with
 * that id, sent the other way. Parent ids and child ids never meet, because each side only
 * matches answers against its own pending requests.
 */
import { InsightsError, isErrorCode } from '@insights/sdk';
import type { EventEnvelope } from '@insights/sdk';
import type { LogLevel, CacheLimits, ModuleManifest, EmitFields, StreamDelivery } from '@insights/runtime/internal';
import type { DbOperation } from './db-protocol.ts';

export type CallKind = 'query' | 'view';

/** First message to a sandbox: what to load and how to reach its resources. */
export interface InitMessage {
  readonly type: 'init';
  /** Plain-JS bundle of the module (built by the parent, see bundler.ts). */
  readonly bundle: string;
  /** Where the module's files live (`<dataDir>/modules/<name>/files`). No db settings: the node runs db operations. */
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly cacheLimits?: CacheLimits | undefined;
  /** Files and memoized results in the module's database, shared by replicas (RuntimeEnvironment.sharedState). */
  readonly sharedState: boolean;
  readonly maxResultBytes: number;
  readonly maxLogRecordsPerSecond: number;
  readonly statsIntervalMs: number;
  /** Whether the node wires `ctx.emit` / `ctx.property` (else the runtime's own clear error applies). */
  readonly emit: boolean;
  readonly property: boolean;
  /** The one native addon file the operator allows this module (lockdown refuses every other). */
  readonly addon: string | undefined;
}

/** Wire form of an InsightsError: plain fields only. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly parameter?: string | undefined;
  readonly suggestions?: readonly string[] | undefined;
  readonly analytic?: string | undefined;
  /** A database error's fields (DB_* codes), so module code sees the same error in a sandbox. */
  readonly db?: { namespace?: string; index?: string; key?: unknown; path?: string } | undefined;
}

export interface DoneMessage {
  readonly type: 'done';
  readonly id: number;
  readonly value: unknown;
}

export interface FailedMessage {
  readonly type: 'failed';
  readonly id: number;
  readonly error: WireError;
}

/** What the host asks a module to do (each becomes a request with an id). */
export type RequestBody =
  | {
      readonly type: 'call';
      readonly kind: CallKind;
      readonly name: string;
      readonly args: unknown;
      /** Host side only: the JSON of `args` as the caller sent it, packed as is (packed.ts). */
      readonly argsJson?: Uint8Array | undefined;
      readonly deadline: number;
      /** Whether the caller listens for progress (saves messages when nobody does). */
      readonly progress: boolean;
      /** A memoized analytic called with an authority: whose results it may share (such calls travel unpacked). */
      readonly memoScope?: string | undefined;
    }
  | {
      readonly type: 'events';
      readonly handler: string;
      readonly events: readonly EventEnvelope[];
      /** Host side only: the events as one JSON array from their stored bytes; sent instead of `events` (EventsJsonMessage). */
      readonly json?: Uint8Array | undefined;
      readonly deadline: number;
      readonly delivery?: StreamDelivery;
    }
  | { readonly type: 'job'; readonly job: string; readonly deadline: number }
  | { readonly type: 'normalise'; readonly raws: readonly unknown[] }
  | { readonly type: 'property'; readonly name: string; readonly event: EventEnvelope }
  | { readonly type: 'sweep-files' };

/** A request on the wire; its sender stamps `id` into the object it made (no copy per call). */
export type RequestMessage = RequestBody & { id: number };

/**
 * An event batch read from the stream, on the wire: the JSON the node read its events from,
 * passed on as bytes (one copy) instead of the objects (V8 serialisation walks every field, for
 * every handler of the node). The sandbox parses it.
 */
export interface EventsJsonMessage {
  readonly type: 'events-json';
  readonly id: number;
  readonly handler: string;
  readonly json: Uint8Array;
  readonly deadline: number;
  readonly delivery?: StreamDelivery;
}

export type ParentMessage =
  | InitMessage
  | RequestMessage
  | EventsJsonMessage
  | { readonly type: 'cancel'; readonly id: number; readonly code: 'CANCELLED' | 'DEADLINE_EXCEEDED' }
  | { readonly type: 'ping'; readonly seq: number }
  /** Names callable on the mesh, for `Object.keys(ctx.mesh.query)` (a snapshot; names() is synchronous). */
  | { readonly type: 'names'; readonly query: readonly string[]; readonly view: readonly string[] }
  | { readonly type: 'close' }
  | DoneMessage
  | FailedMessage;

/** What a batch holds: messages, and buffers of packed calls (to the sandbox) or results (from it). */
export type ParentBatch = (ParentMessage | Uint8Array)[];
export type ChildBatch = (ChildMessage | Uint8Array)[];

/** A call's JSON result, queued in the sandbox and posted packed (never as a message). */
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly encoded: string | Uint8Array;
}

/**
 * A call's view result (HTML, SVG, PNG, table, Vega-Lite) as its content type and encoded body,
 * posted packed: it may be as large as `maxResultBytes`, and raw bytes do not grow when read.
 */
export interface ViewResultMessage {
  readonly type: 'view-result';
  readonly id: number;
  readonly contentType: string;
  readonly data: Uint8Array;
}

/** What the sandbox queues: messages, and results that are posted packed. */
export type ChildQueued = ChildMessage | ResultMessage | ViewResultMessage;

export type ChildMessage =
  | { readonly type: 'ready'; readonly manifest: ModuleManifest }
  | { readonly type: 'load-failed'; readonly message: string }
  | { readonly type: 'progress'; readonly id: number; readonly fraction: number; readonly message: string }
  | {
      readonly type: 'mesh';
      readonly id: number;
      readonly kind: CallKind;
      readonly name: string;
      readonly args: Record<string, unknown>;
      readonly deadline: number | undefined;
      /** The id of the host's request (call, event batch, job) this nested call works for: the host checks it against that request's authority. */
      readonly call: number | undefined;
    }
  | { readonly type: 'mesh-cancel'; readonly id: number }
  | { readonly type: 'file-url'; readonly id: number; readonly name: string; readonly ttlSeconds: number }
  /** `ctx.learnerId`: the node keys the id (the key never enters the sandbox). */
  | { readonly type: 'learner-id'; readonly id: number; readonly learner: string }
  /** `ctx.emit`: only what the module decides, and which of the events it is handling caused it (the host derives the rest). */
  | {
      readonly type: 'emit';
      readonly id: number;
      readonly handler: string;
      readonly parents: readonly string[];
      readonly event: EmitFields;
    }
  /** A database operation on the module's own database (db-protocol.ts), run by the host. */
  /**
   * `of`: another module's database, read-only, where the node allows it (ctx.readDb); `call`: the
   * request it is read for, whose deadline (the host's record of it) bounds reads through the mesh.
   */
  | { readonly type: 'db'; readonly id: number; readonly op: DbOperation; readonly of?: string; readonly call?: number }
  | { readonly type: 'event-property'; readonly id: number; readonly name: string; readonly event: EventEnvelope }
  /** `ctx.sql`: open a statement, read its next batch, or close it (sql-cursors.ts); the host runs it. */
  | { readonly type: 'sql'; readonly id: number; readonly op: 'open' | 'next' | 'close'; readonly [field: string]: unknown }
  | { readonly type: 'log'; readonly level: LogLevel; readonly msg: string; readonly fields: Record<string, unknown> | undefined }
  | { readonly type: 'pong'; readonly seq: number }
  | { readonly type: 'stats'; readonly rss: number; readonly heapUsed: number }
  | DoneMessage
  | FailedMessage;

/** Flattens any thrown value into a WireError (a module may throw look-alike objects: copy fields, never trust methods). */
export function toWireError(e: unknown): WireError {
  if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string') {
    const x = e as { code: string; message?: unknown; parameter?: unknown; suggestions?: unknown; analytic?: unknown };
    return {
      code: x.code,
      message: String(x.message),
      parameter: typeof x.parameter === 'string' ? x.parameter : undefined,
      suggestions: Array.isArray(x.suggestions) ? x.suggestions.map(String) : undefined,
      analytic: typeof x.analytic === 'string' ? x.analytic : undefined,
      db: x.code.startsWith('DB_') ? dbFields(x as Record<string, unknown>) : undefined,
    };
  }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function dbFields(x: Record<string, unknown>): WireError['db'] {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  let key: unknown;
  try {
    key = structuredClone(x.key);
  } catch {
    key = String(x.key);
  }
  return { namespace: str(x.namespace), index: str(x.index), key, path: str(x.path) };
}

/** Rebuilds an InsightsError; a code outside `allowed` (when given) becomes INTERNAL: never trust a sandbox's codes blindly. */
export function fromWireError(e: WireError, allowed?: ReadonlySet<string>): InsightsError {
  const code = isErrorCode(e.code) && (allowed === undefined || allowed.has(e.code)) ? e.code : 'INTERNAL';
  return new InsightsError(code, String(e.message), {
    parameter: e.parameter,
    suggestions: e.suggestions,
    analytic: e.analytic,
  });
}
