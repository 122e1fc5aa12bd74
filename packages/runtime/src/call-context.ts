import type { Context, Db, ModuleCache, ModuleFiles, ModuleLog, SqlClient, UntypedMesh } from '@insights/sdk';
import { createMeshProxy } from '@insights/sdk/internal';
import type { NestedCaller, NestedCallInvoker } from './call-authority.ts';
import { minDeadline } from './deadline.ts';
import { ModuleSqlClient, type SqlGateway } from './resources/sql-client.ts';

/** The call a read of another module's data is made for (`ctx.readDb`): its deadline bounds reads through the mesh. */
export interface ReadingCall {
  /** Absolute, epoch ms. */
  readonly deadline: number;
  /** Inside a sandbox: the id the host gave the request; the host takes the deadline from its own record of it. */
  readonly callId?: number | undefined;
}

/** What a call's context needs from its module: shared by every call of that module. */
export interface ModuleScope {
  readonly db: Db;
  readonly fs: ModuleFiles;
  readonly cache: ModuleCache;
  readonly log: ModuleLog;
  readonly module: string;
  readonly mesh: NestedCallInvoker;
  /** The node's read replicas, where it has any (`ctx.sql`). */
  readonly sql: SqlGateway | undefined;
  /** Another module's database, read-only, where the node allows it (`ctx.readDb`), for `call`. */
  readDb(owner: string, call: ReadingCall): Promise<Db>;
  /** Keyed learner ids (`ctx.learnerId`): the node holds the key. */
  learnerId(id: string): Promise<string>;
  refresh(
    name: string,
    args: Record<string, unknown>,
    deadline: number,
    signal: AbortSignal,
    caller: NestedCaller,
  ): Promise<unknown>;
}

/** Where a context's `signal` comes from: the call's scope, made only when read. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/**
 * A handler's context as a class: one small object per call, methods on the prototype, and the
 * expensive parts (`signal`, `mesh`) made only when a handler touches them.
 */
export class CallContext implements Context {
  // Own properties, not prototype getters: handlers destructure them (`{ db, progress }`).
  readonly db: Db;
  readonly fs: ModuleFiles;
  readonly cache: ModuleCache;
  readonly log: ModuleLog;
  readonly module: string;
  #mesh: UntypedMesh | undefined;
  #progress: ((fraction: number, message?: string) => void) | undefined;
  #refresh: ((name: string, args?: Record<string, unknown>) => Promise<unknown>) | undefined;
  #sql: ((source: string) => SqlClient) | undefined;
  #readDb: ((module: string) => Promise<Db>) | undefined;

  constructor(
    private readonly scope: ModuleScope,
    readonly deadline: number,
    private readonly signals: SignalSource,
    private readonly onProgress: ((fraction: number, message: string) => void) | undefined,
    /** Whose authority nested calls carry: the node resolves it; the handler never sees it. */
    private readonly caller: NestedCaller,
  ) {
    this.db = scope.db;
    this.fs = scope.fs;
    this.cache = scope.cache;
    this.log = scope.log;
    this.module = scope.module;
  }

  /** Made on first use (a getter, so destructuring `{ signal }` still works). */
  get signal(): AbortSignal {
    return this.signals.signal;
  }

  // Getters returning functions made on first use: `const { progress } = ctx` still works, and
  // a handler that never reports progress or refreshes costs no closures.
  get progress(): (fraction: number, message?: string) => void {
    return (this.#progress ??= (fraction, message = '') => {
      if (Number.isFinite(fraction)) this.onProgress?.(Math.min(1, Math.max(0, fraction)), String(message));
    });
  }

  get refresh(): (name: string, args?: Record<string, unknown>) => Promise<unknown> {
    return (this.#refresh ??= (name, args = {}) =>
      this.scope.refresh(name, args, this.deadline, this.signals.signal, this.caller));
  }

  get sql(): (source: string) => SqlClient {
    return (this.#sql ??= (source) =>
      new ModuleSqlClient(this.scope.sql, this.scope.module, source, this.deadline, () => this.signals.signal));
  }

  get readDb(): (module: string) => Promise<Db> {
    // Bound to this call: reads through the mesh end with its deadline.
    return (this.#readDb ??= (module) =>
      this.scope.readDb(String(module), { deadline: this.deadline, callId: this.caller.callId }));
  }

  get learnerId(): (id: string) => Promise<string> {
    return (id) => this.scope.learnerId(id);
  }

  get mesh(): UntypedMesh {
    if (this.#mesh === undefined) {
      const env = this.scope.mesh;
      const deadline = this.deadline;
      const signals = this.signals;
      const caller = this.caller;
      // Nested calls inherit the remaining deadline, this call's cancellation and its caller's authority.
      this.#mesh = createMeshProxy<UntypedMesh>({
        names: (kind) => env.names(kind),
        invoke: (kind, name, args, options) =>
          env.invoke(
            kind,
            name,
            args,
            {
              ...options,
              deadline: minDeadline(options.deadline, deadline) ?? deadline,
              signal: options.signal === undefined ? signals.signal : AbortSignal.any([options.signal, signals.signal]),
            },
            caller,
          ),
      });
    }
    return this.#mesh;
  }
}
