import { InsightsError, type CallOptions } from '@insights/sdk';
import { NameIndex, type CancelSignal, type NamedEntry, type QueryKind } from '@insights/sdk/internal';
import type {
  AuthorityTarget,
  CallAuthority,
  CallRecorder,
  NestedCaller,
  NestedCallGuard,
  NestedCallInvoker,
} from './call-authority.ts';
import { newAuditId, resultBytes, withEncoding } from './call-record.ts';
import { NEVER_ABORTS } from './call-scope.ts';
import { callProperty } from './events/property-call.ts';
import type { ModuleHost } from './host.ts';
import { waitAtMost } from './wait-at-most.ts';
import type { AnalyticManifest } from './manifest.ts';
import type { CallOutcome } from '@insights/wire';

export interface DispatchRequest {
  /** Event properties are called with `{ event }` (see callProperty). */
  readonly kind: QueryKind | 'event-property';
  readonly name: string;
  readonly args: unknown;
  /** The JSON `args` was parsed from, when nothing rewrote them (see HostCall.argsJson). */
  readonly argsJson?: Uint8Array | undefined;
  /** Absolute deadline (epoch ms); the node's default applies when absent. */
  readonly deadline?: number | undefined;
  readonly signal?: CancelSignal | undefined;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
  /** Who the call runs for: its nested calls are checked against this (see CallAuthority). */
  readonly authority?: CallAuthority | undefined;
  /** For a nested call: the audit id of the call that made it. */
  readonly parentId?: string | undefined;
  /** The caller's W3C traceparent: the audit record joins its trace. */
  readonly traceparent?: string | undefined;
}

/**
 * A node-internal route (a query name starting with `$`, which no analytic can have): served by
 * the node itself, e.g. reads of a module's data for a module on another node. `deadline` is
 * always set (the node's default when the caller gave none).
 */
export type NodeRoute = (req: DispatchRequest & { readonly deadline: number }) => Promise<CallOutcome>;

/**
 * Routes calls to module hosts: resolves names (aliases, `<module>.<name>`, collisions),
 * applies the default deadline, counts in-flight calls for graceful shutdown. It is also the
 * CallInvoker behind modules' `ctx.mesh`, so nested calls take the same path as remote ones,
 * each checked against the authority of the call that caused it (the node's NestedCallGuard).
 */
export class Dispatcher implements NestedCallInvoker {
  #index = new NameIndex<ModuleHost>([]);
  #targets = new WeakMap<NamedEntry<ModuleHost>, AuthorityTarget>();
  #guard: NestedCallGuard | undefined;
  #recorder: CallRecorder | undefined;
  #inFlight = 0;
  #draining = false;
  #idle: (() => void) | undefined;
  #fallback: NestedCallInvoker | undefined;
  /** Settles when the fallback announced by `expectFallback` is set (or will not be). */
  #fallbackComing: Promise<void> | undefined;
  readonly #routes = new Map<string, NodeRoute>();

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
    this.#targets = new WeakMap();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  call(req: DispatchRequest): Promise<CallOutcome> {
    if (this.#draining) return Promise.reject(new InsightsError('UNAVAILABLE', 'node is shutting down; retry on another node'));
    const recorder = this.#recorder;
    // A call the audit trail cannot record does not run (unless the operator allows that).
    const unrecordable = recorder?.refusal?.();
    if (unrecordable !== undefined) return Promise.reject(unrecordable);
    const auditId = recorder === undefined ? undefined : newAuditId();
    if (auditId !== undefined) recorder!.begin(auditId, req.parentId, req.traceparent);
    let analytic = req.name;
    let learnerFields: readonly string[] = [];
    let work: Promise<CallOutcome>;
    try {
      // Analytic names never start with `$`: the common call pays one character test.
      const route = req.kind === 'query' && req.name.startsWith('$') ? this.#routes.get(req.name) : undefined;
      if (req.kind === 'event-property') work = this.#counted(callProperty(this.hosts, req.name, req.args));
      else if (route !== undefined)
        work = this.#counted(route({ ...req, deadline: req.deadline ?? Date.now() + this.defaultTimeoutMs }));
      else {
        const entry = this.#index.resolve(req.kind, req.name);
        analytic = `${entry.module}.${entry.name}`;
        learnerFields = entry.target.manifest.learnerFields;
        const deadline = req.deadline ?? Date.now() + this.defaultTimeoutMs;
        work = this.#counted(
          entry.target.call(
            { kind: req.kind, name: entry.name, args: req.args, argsJson: req.argsJson, deadline },
            { signal: req.signal ?? NEVER, onProgress: req.onProgress, authority: req.authority, auditId },
          ),
        );
      }
    } catch (e) {
      work = Promise.reject(e as Error);
    }
    // A caller's own view of its result (pseudonyms for a research role); nested calls see real
    // values, also those a certified node forwards with their parent (its outer call presents them).
    const present = req.parentId === undefined ? req.authority?.present : undefined;
    if (present !== undefined) work = work.then((o) => present.call(req.authority, o, analytic, learnerFields));
    if (auditId === undefined) return work;
    const startedAt = Date.now();
    const record = (outcome: string, bytes: number) =>
      recorder!.end({
        id: auditId,
        parentId: req.parentId,
        kind: req.kind,
        analytic,
        args: req.args,
        who: req.authority?.label,
        outcome,
        resultBytes: bytes,
        startedAt,
        durationMs: Date.now() - startedAt,
      });
    return work.then(
      (o) => {
        const encoded = withEncoding(o);
        record('OK', resultBytes(encoded));
        return encoded;
      },
      (e: unknown) => {
        record((e as { code?: unknown }).code === undefined ? 'INTERNAL' : String((e as { code: unknown }).code), 0);
        throw e;
      },
    );
  }

  /**
   * Serves `name` (it must start with `$`) with the node's own `route`: counted, drained and
   * audited like calls. Only callers from outside reach it (the node's Authorizer decides who);
   * a module's nested calls resolve analytics only.
   */
  setRoute(name: string, route: NodeRoute): void {
    if (!name.startsWith('$')) throw new Error(`node route names start with "$" (no analytic can): ${name}`);
    this.#routes.set(name, route);
  }

  /** Reports every call (and refused nested call) to the audit trail. */
  setRecorder(recorder: CallRecorder | undefined): void {
    this.#recorder = recorder;
  }

  /** A call refused before it ran (the node's capability check, a nested call's authority): recorded too. */
  recordRefused(r: {
    kind: QueryKind | 'event-property';
    name: string;
    args: unknown;
    who: string | undefined;
    parentId?: string | undefined;
    /** The caller's W3C traceparent: the record joins its trace. */
    traceparent?: string | undefined;
    code: string;
  }): void {
    const recorder = this.#recorder;
    if (recorder === undefined) return;
    const id = newAuditId();
    recorder.begin(id, r.parentId, r.traceparent);
    recorder.end({
      id,
      parentId: r.parentId,
      kind: r.kind,
      analytic: r.name,
      args: r.args,
      who: r.who,
      outcome: r.code,
      resultBytes: 0,
      startedAt: Date.now(),
      durationMs: 0,
    });
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
  setFallback(invoker: NestedCallInvoker | undefined): void {
    this.#fallback = invoker;
  }

  /**
   * The node's mesh client is on its way (`arrival` settles once `setFallback` ran, or once it
   * never will). A node is advertised, and called, before its registry watch is up: until then a
   * nested call no local module serves waits for the client within its deadline instead of
   * failing NOT_FOUND ("no query named ...") on a name the mesh does serve.
   */
  expectFallback(arrival: Promise<unknown>): void {
    const settled = () => {
      if (this.#fallbackComing === coming) this.#fallbackComing = undefined;
    };
    const coming: Promise<void> = arrival.then(settled, settled);
    this.#fallbackComing = coming;
  }

  /** Decides which authority nested calls run with; without one (local mode) they run with the caller's, if any. */
  setGuard(guard: NestedCallGuard | undefined): void {
    this.#guard = guard;
  }

  /** A nested call (`ctx.mesh`): checked against the authority of the call that caused it, here or on the node that serves it. */
  async invoke(
    kind: QueryKind,
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    caller?: NestedCaller,
  ): Promise<unknown> {
    if (this.#fallback === undefined && this.#fallbackComing !== undefined && this.#tryResolve(kind, name) === undefined) {
      await waitAtMost(this.#fallbackComing, options.deadline ?? Date.now() + (options.timeoutMs ?? this.defaultTimeoutMs));
      if (this.#fallback === undefined && this.#fallbackComing !== undefined)
        throw new InsightsError(
          'UNAVAILABLE',
          `${kind} "${name}" is not on this node and its mesh client is not up yet (no registry watch)`,
        );
    }
    const entry = this.#fallback === undefined ? this.#index.resolve(kind, name) : this.#tryResolve(kind, name);
    if (entry === undefined) {
      // The node serving it checks the forwarded capability and records the call there, in this
      // call's trace and under this call's record (parentCall; a module's own claim never passes).
      const authority = this.#authorityFor(caller, name);
      const parent = caller?.parentId;
      const traceparent = parent === undefined ? undefined : this.#recorder?.traceparentOf?.(parent);
      return this.#fallback!.invoke(
        kind,
        name,
        args,
        { ...options, parentCall: parent, ...(traceparent === undefined ? {} : { traceparent }) },
        caller && { module: caller.module, authority },
      );
    }
    const authority = this.#authorityFor(caller, `${entry.module}.${entry.name}`);
    let checked = args;
    try {
      if (authority !== undefined) checked = authority.authorize(this.#target(entry), args);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      this.recordRefused({
        kind,
        name: `${entry.module}.${entry.name}`,
        args,
        who: authority?.label,
        parentId: caller?.parentId,
        code: typeof code === 'string' ? code : 'INTERNAL',
      });
      throw e;
    }
    const deadline = options.deadline ?? (options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs);
    const outcome = await this.call({
      kind,
      name: `${entry.module}.${entry.name}`,
      args: checked,
      deadline,
      signal: options.signal,
      onProgress: options.onProgress,
      authority,
      parentId: caller?.parentId,
    });
    return outcome.type === 'json' ? outcome.value : outcome;
  }

  #authorityFor(caller: NestedCaller | undefined, target: string): CallAuthority | undefined {
    return this.#guard === undefined ? caller?.authority : this.#guard.authorityFor(caller, target);
  }

  #target(entry: NamedEntry<ModuleHost>): AuthorityTarget {
    let t = this.#targets.get(entry);
    if (t === undefined) {
      const a = entry.target.manifest.analytics.find((x) => x.kind === entry.kind && x.name === entry.name);
      const props = a?.paramsSchema.properties;
      t = {
        kind: entry.kind as QueryKind,
        module: entry.module,
        name: entry.name,
        aliases: entry.aliases,
        parameters: typeof props === 'object' && props !== null ? Object.keys(props) : [],
      };
      this.#targets.set(entry, t);
    }
    return t;
  }

  /** The manifest entry and module of a callable analytic (resolving aliases), or throws NOT_FOUND. */
  analytic(kind: QueryKind, name: string): { module: string; analytic: AnalyticManifest } {
    const entry = this.#index.resolve(kind, name);
    const analytic = entry.target.manifest.analytics.find((a) => a.kind === kind && a.name === entry.name);
    if (analytic === undefined) throw new InsightsError('NOT_FOUND', `no ${kind} named "${name}"`);
    return { module: entry.module, analytic };
  }

  /** Modules on this node that declare an event property by this name or alias (for policy checks). */
  propertyModules(name: string): string[] {
    const out: string[] = [];
    for (const [module, host] of this.hosts)
      if (host.manifest.analytics.some((a) => a.kind === 'event-property' && (a.name === name || a.aliases.includes(name))))
        out.push(module);
    return out;
  }

  host(module: string): ModuleHost | undefined {
    return this.hosts.get(module);
  }

  names(kind: QueryKind): string[] {
    const local = this.#index.names(kind);
    return this.#fallback === undefined ? local : [...new Set([...local, ...this.#fallback.names(kind)])].sort();
  }

  #tryResolve(kind: QueryKind, name: string): NamedEntry<ModuleHost> | undefined {
    try {
      return this.#index.resolve(kind, name);
    } catch {
      return undefined;
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
