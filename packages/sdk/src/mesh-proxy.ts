import type { ViewResult } from './view-result.ts';

/** Per-call options every mesh call accepts as its second argument. */
export interface CallOptions {
  /** Milliseconds this call may take; the smaller of this and any inherited deadline wins. */
  timeoutMs?: number;
  /** Absolute deadline, epoch milliseconds. */
  deadline?: number;
  signal?: AbortSignal;
  /** Progress reports of slow views. */
  onProgress?: (fraction: number, message: string) => void;
  /**
   * A W3C traceparent to continue (a node forwarding a nested call, a script that traces by
   * hand): the node's audit records of the whole call tree share its trace id. An active
   * OpenTelemetry span wins over it.
   */
  traceparent?: string;
  /**
   * The audit id of the call this one is nested in (a node forwarding a nested call): the
   * serving node records it as the call's parent, but only when a certified mesh node sends it
   * (its tokens delegated under a node certificate); anyone else's claim is ignored.
   */
  parentCall?: string;
}

export type QueryKind = 'query' | 'view';

/** Anything that can carry out a call: the client core, the node's nested-call path, local mode. */
export interface CallInvoker {
  invoke(kind: QueryKind, name: string, args: Record<string, unknown>, options: CallOptions): Promise<unknown>;
  /** Names callable for `kind` right now, for `Object.keys` and suggestions. */
  names(kind: QueryKind): string[];
}

type AnyCall<R> = (args?: Record<string, unknown>, options?: CallOptions) => Promise<R>;

/** The untyped shape: any name, unknown results. Typed meshes narrow it (see InferMesh). */
export interface UntypedMesh {
  readonly query: Record<string, AnyCall<unknown>>;
  readonly view: Record<string, AnyCall<ViewResult>>;
}

/**
 * Builds `mesh.query.<name>(args)` / `mesh.view.<name>(args)` over an invoker. `Object.keys`
 * lists what is callable now; a name absent from the list still dispatches (the node answers
 * NOT_FOUND with suggestions), so stale listings never block a call.
 */
const NO_OPTIONS: CallOptions = Object.freeze({});
/** Names whose call functions are kept (a script probing random names must not grow memory). */
const MAX_MADE = 1000;

export function createMeshProxy<M = UntypedMesh>(invoker: CallInvoker): M {
  const section = (kind: QueryKind): Record<string, AnyCall<unknown>> => {
    // One function per name, made on first use: `mesh.query.x(...)` in a loop allocates nothing.
    const made = new Map<string, AnyCall<unknown>>();
    return new Proxy({} as Record<string, AnyCall<unknown>>, {
      get(_t, prop) {
        // `then` must stay undefined, or `await mesh.query` would try to call it.
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        let fn = made.get(prop);
        if (fn === undefined) {
          fn = (args: Record<string, unknown> = {}, options: CallOptions = NO_OPTIONS) =>
            invoker.invoke(kind, prop, args, options);
          if (made.size < MAX_MADE) made.set(prop, fn);
        }
        return fn;
      },
      ownKeys: () => invoker.names(kind),
      getOwnPropertyDescriptor: (_t, prop) =>
        typeof prop === 'string' && invoker.names(kind).includes(prop)
          ? { enumerable: true, configurable: true, writable: false, value: undefined }
          : undefined,
      has: (_t, prop) => typeof prop === 'string' && invoker.names(kind).includes(prop),
    });
  };
  return { query: section('query'), view: section('view') } as M;
}
