import type { Context, Db, ModuleCache, ModuleFiles, ModuleLog, UntypedMesh } from '@insights/sdk';
import { createMeshProxy, type CallInvoker } from '@insights/sdk/internal';
import { minDeadline } from './deadline.ts';

/** What a call's context needs from its module: shared by every call of that module. */
export interface ModuleScope {
  readonly db: Db;
  readonly fs: ModuleFiles;
  readonly cache: ModuleCache;
  readonly log: ModuleLog;
  readonly module: string;
  readonly mesh: CallInvoker;
  refresh(name: string, args: Record<string, unknown>, deadline: number, signal: AbortSignal): Promise<unknown>;
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
  readonly progress: (fraction: number, message?: string) => void;
  readonly refresh: (name: string, args?: Record<string, unknown>) => Promise<unknown>;
  #mesh: UntypedMesh | undefined;

  constructor(
    private readonly scope: ModuleScope,
    readonly deadline: number,
    private readonly signalOf: () => AbortSignal,
    onProgress: ((fraction: number, message: string) => void) | undefined,
  ) {
    this.db = scope.db;
    this.fs = scope.fs;
    this.cache = scope.cache;
    this.log = scope.log;
    this.module = scope.module;
    this.progress = (fraction, message = '') => {
      if (Number.isFinite(fraction)) onProgress?.(Math.min(1, Math.max(0, fraction)), String(message));
    };
    this.refresh = (name, args = {}) => scope.refresh(name, args, deadline, signalOf());
  }

  /** Made on first use (a getter, so destructuring `{ signal }` still works). */
  get signal(): AbortSignal {
    return this.signalOf();
  }

  get mesh(): UntypedMesh {
    if (this.#mesh === undefined) {
      const env = this.scope.mesh;
      const deadline = this.deadline;
      const signalOf = this.signalOf;
      // Nested calls inherit the remaining deadline and this call's cancellation.
      this.#mesh = createMeshProxy<UntypedMesh>({
        names: (kind) => env.names(kind),
        invoke: (kind, name, args, options) =>
          env.invoke(kind, name, args, {
            ...options,
            deadline: minDeadline(options.deadline, deadline) ?? deadline,
            signal: options.signal === undefined ? signalOf() : AbortSignal.any([options.signal, signalOf()]),
          }),
      });
    }
    return this.#mesh;
  }
}
