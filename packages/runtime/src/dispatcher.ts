import { InsightsError, type CallOptions } from '@insights/sdk';
import { NameIndex, type CallInvoker, type CancelSignal, type NamedEntry, type QueryKind } from '@insights/sdk/internal';
import { NEVER_ABORTS } from './call-scope.ts';
import { callProperty } from './events/property-call.ts';
import type { ModuleHost } from './host.ts';
import type { AnalyticManifest } from './manifest.ts';
import type { CallOutcome } from '@insights/wire';

export interface DispatchRequest {
  /** Event properties are called with `{ event }` (see callProperty). */
  readonly kind: QueryKind | 'event-property';
  readonly name: string;
  readonly args: unknown;
  /** Absolute deadline (epoch ms); the node's default applies when absent. */
  readonly deadline?: number | undefined;
  readonly signal?: CancelSignal | undefined;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
}

/**
 * Routes calls to module hosts: resolves names (aliases, `<module>.<name>`, collisions),
 * applies the default deadline, counts in-flight calls for graceful shutdown. It is also the
 * CallInvoker behind modules' `ctx.mesh`, so nested calls take the same path as remote ones.
 */
export class Dispatcher implements CallInvoker {
  #index = new NameIndex<ModuleHost>([]);
  #inFlight = 0;
  #draining = false;
  #idle: (() => void) | undefined;
  #fallback: CallInvoker | undefined;

  constructor(
    private readonly hosts: Map<string, ModuleHost>,
    private readonly defaultTimeoutMs: number,
  ) {
    this.rebuild();
  }

  /** Re-reads the hosts' manifests; call after a module is added, removed or reloaded. */
  rebuild(): void {
    const entries: NamedEntry<ModuleHost>[] = [];
    for (const [module, host] of this.hosts)
      for (const a of host.manifest.analytics)
        if (a.kind === 'query' || a.kind === 'view')
          entries.push({ kind: a.kind, module, name: a.name, aliases: a.aliases, target: host });
    this.#index = new NameIndex(entries);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  call(req: DispatchRequest): Promise<CallOutcome> {
    if (this.#draining) return Promise.reject(new InsightsError('UNAVAILABLE', 'node is shutting down; retry on another node'));
    let work: Promise<CallOutcome>;
    try {
      if (req.kind === 'event-property') return this.#counted(callProperty(this.hosts, req.name, req.args));
      const entry = this.#index.resolve(req.kind, req.name);
      const deadline = req.deadline ?? Date.now() + this.defaultTimeoutMs;
      work = entry.target.call(
        { kind: req.kind, name: entry.name, args: req.args, deadline },
        { signal: req.signal ?? NEVER, onProgress: req.onProgress },
      );
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.#counted(work);
  }

  #counted(work: Promise<CallOutcome>): Promise<CallOutcome> {
    this.#inFlight++;
    return work.finally(this.#callEnded);
  }

  readonly #callEnded = (): void => {
    if (--this.#inFlight === 0) this.#idle?.();
  };

  /**
   * Where nested calls go when no local module serves the name: the node sets this to its mesh
   * client, so a module's `ctx.mesh` reaches analytics on every node, not only its own.
   */
  setFallback(invoker: CallInvoker | undefined): void {
    this.#fallback = invoker;
  }

  async invoke(kind: QueryKind, name: string, args: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    if (this.#fallback !== undefined && !this.#serves(kind, name)) return this.#fallback.invoke(kind, name, args, options);
    const deadline = options.deadline ?? (options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs);
    const outcome = await this.call({ kind, name, args, deadline, signal: options.signal, onProgress: options.onProgress });
    return outcome.type === 'json' ? outcome.value : outcome;
  }

  /** The manifest entry and module of a callable analytic (resolving aliases), or throws NOT_FOUND. */
  analytic(kind: QueryKind, name: string): { module: string; analytic: AnalyticManifest } {
    const entry = this.#index.resolve(kind, name);
    const analytic = entry.target.manifest.analytics.find((a) => a.kind === kind && a.name === entry.name);
    if (analytic === undefined) throw new InsightsError('NOT_FOUND', `no ${kind} named "${name}"`);
    return { module: entry.module, analytic };
  }

  host(module: string): ModuleHost | undefined {
    return this.hosts.get(module);
  }

  names(kind: QueryKind): string[] {
    const local = this.#index.names(kind);
    return this.#fallback === undefined ? local : [...new Set([...local, ...this.#fallback.names(kind)])].sort();
  }

  #serves(kind: QueryKind, name: string): boolean {
    try {
      this.#index.resolve(kind, name);
      return true;
    } catch {
      return false;
    }
  }

  /** Refuses new calls and resolves when in-flight calls finish or `graceMs` passes. */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.#idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const NEVER = NEVER_ABORTS;
