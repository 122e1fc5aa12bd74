import path from 'node:path';
import {
  InsightsError,
  isInsightsError,
  isViewResult,
  type Context,
  type Db,
  type EventContext,
  type Document,
  type EventEnvelope,
  type Filter,
  type UpdateFilter,
  type ModuleDefinition,
  type QueryDefinition,
  type ViewDefinition,
} from '@insights/sdk';
import { MODULE_THROWABLE_CODES, type CallInvoker } from '@insights/sdk/internal';
import type { CallOutcome } from '@insights/wire';
import { CallContext, type ModuleScope, type SignalSource } from './call-context.ts';
import { CallScope } from './call-scope.ts';
import { deadlineSignal, raceSignal } from './deadline.ts';
import type { HostCall, HostCallControl } from './host.ts';
import { buildManifest, type ModuleManifest } from './manifest.ts';
import type { CompiledParams } from './params.ts';
import { LruModuleCache, type CacheLimits } from './resources/cache.ts';
import { DiskModuleFiles, type FileUrlMaker } from './resources/files.ts';
import type { Logger } from './resources/log.ts';
import type { DbProvider } from '@insights/db';
import { stableEventId } from './events/event-id.ts';
import { compileFilter } from './events/filter.ts';
import type { NormaliseOutcome } from './events/normalise-result.ts';
import { once, updateOnce } from './events/once.ts';

/** What a module needs from wherever it runs: storage, a way to call the mesh, a logger. */
export interface RuntimeEnvironment {
  /** Root of per-module data; a module's files live in `<dataDir>/modules/<name>/files`. */
  readonly dataDir: string;
  readonly db: DbProvider;
  readonly makeFileUrl: FileUrlMaker;
  /** Nested calls (`ctx.mesh`): the node routes them locally or across the mesh. */
  readonly mesh: CallInvoker;
  readonly log: Logger;
  /** Publishes a derived event (`ctx.emit`); absent where events are not wired (then emit fails clearly). */
  readonly emit?: (event: EventEnvelope) => Promise<void>;
  /** Computes an event property wherever it is served (`ctx.property`). */
  readonly property?: (event: EventEnvelope, name: string) => Promise<unknown>;
  readonly cacheLimits?: CacheLimits;
}

/**
 * Runs one module's analytics with its resources: validates arguments, builds the context,
 * enforces the deadline, turns results into CallOutcomes and errors into coded InsightsErrors.
 * Hosts of every isolation level wrap this same class.
 */
export class ModuleRuntime {
  readonly manifest: ModuleManifest;
  readonly files: DiskModuleFiles;
  readonly cache: LruModuleCache;
  readonly #def: ModuleDefinition;
  readonly #params: Map<string, CompiledParams>;
  readonly #db: Db;
  readonly #env: RuntimeEnvironment;
  readonly #log: Logger;
  readonly #filters = new Map<string, (e: EventEnvelope) => boolean>();
  readonly #scope: ModuleScope;

  private constructor(def: ModuleDefinition, env: RuntimeEnvironment, db: Db) {
    const { manifest, params } = buildManifest(def);
    this.manifest = manifest;
    this.#params = params;
    this.#def = def;
    this.#env = env;
    this.#db = db;
    this.#log = env.log.child({ module: def.name });
    this.files = new DiskModuleFiles(def.name, path.join(env.dataDir, 'modules', def.name, 'files'), env.makeFileUrl);
    this.cache = new LruModuleCache(env.cacheLimits);
    this.#scope = {
      db,
      fs: this.files,
      cache: this.cache,
      log: this.#log,
      module: def.name,
      mesh: env.mesh,
      refresh: (name, args, deadline, signal) => this.#refreshMemoized(name, args, deadline, signal),
    };
  }

  static async create(def: ModuleDefinition, env: RuntimeEnvironment): Promise<ModuleRuntime> {
    return new ModuleRuntime(def, env, await env.db.forModule(def.name));
  }

  /** Runs a query or view. A handler that answers synchronously costs no extra promise turns. */
  call(call: HostCall, control: HostCallControl): Promise<CallOutcome> {
    const analytic = `${this.#def.name}.${call.name}`;
    const def = (call.kind === 'query' ? this.#def.queries[call.name] : this.#def.views[call.name]) as
      QueryDefinition | ViewDefinition | undefined;
    const params = this.#params.get(`${call.kind}:${call.name}`);
    if (def === undefined || params === undefined)
      return Promise.reject(
        new InsightsError('NOT_FOUND', `module ${this.#def.name} has no ${call.kind} named "${call.name}"`, { analytic }),
      );
    let scope: CallScope | undefined;
    try {
      const args = params.parse(call.args);
      const s = (scope = new CallScope(call.deadline, control.signal));
      const ctx = this.#context(call.deadline, s, control.onProgress);
      const out =
        def.memoize === undefined
          ? def.run(args as never, ctx)
          : this.cache.memoize(`${call.kind}:${call.name}`, args, async () => def.run(args as never, ctx), {
              ttlSeconds: def.memoize.ttlSeconds,
            });
      const shared = def.memoize !== undefined;
      if (!isThenable(out)) {
        s.dispose();
        return Promise.resolve(outcomeOf(call.kind, analytic, out, shared));
      }
      // Handlers that ignore their signal still answer the caller at the deadline.
      return s.race(out).then(
        (value) => {
          s.dispose();
          return outcomeOf(call.kind, analytic, value, shared);
        },
        (e: unknown) => {
          s.dispose();
          throw this.#toCallError(analytic, e, s.reason);
        },
      );
    } catch (e) {
      scope?.dispose();
      return Promise.reject(this.#toCallError(analytic, e, scope?.reason));
    }
  }

  /** Delivers events to one handler (after its filter); resolves when the handler has finished. */
  async handleEvents(handler: string, events: readonly EventEnvelope[], deadline: number, signal: AbortSignal): Promise<number> {
    const def = this.#def.eventHandlers[handler];
    if (def === undefined) throw new InsightsError('NOT_FOUND', `module ${this.#def.name} has no event handler "${handler}"`);
    let filter = this.#filters.get(handler);
    if (filter === undefined) this.#filters.set(handler, (filter = compileFilter(def.filter)));
    const matching = events.filter(filter);
    if (matching.length === 0) return 0;
    const scope = deadlineSignal(deadline, signal);
    const analytic = `${this.#def.name}.${handler}`;
    try {
      const env = this.#env;
      const db = this.#db;
      // The call context plus the event methods (getters like `signal` stay on its prototype).
      const ctx: EventContext = Object.assign(this.#context(deadline, scope, undefined), {
        emit: async (e: Parameters<EventContext['emit']>[0]) => {
          if (env.emit === undefined)
            throw new InsightsError('FAILED_PRECONDITION', 'events are not wired on this host; ctx.emit is unavailable');
          const parentHops = Math.max(0, ...matching.map((m) => m.hops ?? 0));
          await env.emit({
            // Deterministic: re-processing the same events re-emits the same ids, which dedupe.
            id: stableEventId({
              from: `${this.#def.name}.${handler}`,
              after: matching.map((m) => m.id),
              type: e.type,
              payload: e.payload,
            }),
            time: new Date().toISOString(),
            source: this.#def.name,
            type: e.type,
            actor: e.actor,
            course: e.course,
            resource: e.resource,
            payload: e.payload,
            raw: e.payload,
            hops: parentHops + 1,
          });
        },
        property: (e: EventEnvelope, name: string) =>
          env.property === undefined ? Promise.resolve(this.computeProperty(name, e)) : env.property(e, name),
        updateOnce: (
          collection: string,
          e: EventEnvelope,
          f: Filter<Document>,
          u: UpdateFilter<Document>,
          o?: { upsert?: boolean },
        ) => updateOnce(db, collection, e.id, f, u, o),
        once: (e: EventEnvelope, fn: () => Promise<void> | void) => once(db, handler, e.id, fn),
      });
      await raceSignal(
        Promise.resolve().then(() => def.handle(matching, ctx)),
        scope.signal,
      );
      return matching.length;
    } catch (e) {
      throw this.#toCallError(analytic, e, scope.signal);
    } finally {
      scope.dispose();
    }
  }

  /** Runs a scheduled job once, with the same context as a query. */
  async runJob(job: string, deadline: number, signal: AbortSignal): Promise<void> {
    const def = this.#def.jobs[job];
    if (def === undefined) throw new InsightsError('NOT_FOUND', `module ${this.#def.name} has no job "${job}"`);
    const scope = deadlineSignal(deadline, signal);
    try {
      await raceSignal(
        Promise.resolve().then(() => def.run(this.#context(deadline, scope, undefined))),
        scope.signal,
      );
    } catch (e) {
      throw this.#toCallError(`${this.#def.name}.${job}`, e, scope.signal);
    } finally {
      scope.dispose();
    }
  }

  /** Runs this module's data layer on raw events; `unclaimed` when none of its normalisers accepts one. */
  normalise(raws: readonly unknown[]): NormaliseOutcome[] {
    const normalisers = Object.values(this.#def.normalisers);
    return raws.map((raw): NormaliseOutcome => {
      const n = normalisers.find((x) => {
        try {
          return x.accepts(raw);
        } catch {
          return false;
        }
      });
      if (n === undefined) return { type: 'unclaimed' };
      try {
        const out = n.normalise(raw);
        return { type: 'ok', envelopes: Array.isArray(out) ? out : [out as EventEnvelope] };
      } catch (e) {
        return { type: 'error', message: e instanceof Error ? e.message : String(e) };
      }
    });
  }

  /** Computes one of this module's event properties; NOT_FOUND when it has none by that name for the event's source. */
  computeProperty(name: string, event: EventEnvelope): unknown {
    for (const [key, p] of Object.entries(this.#def.eventProperties)) {
      if ((p.name ?? key) !== name && !(p.aliases ?? []).includes(name)) continue;
      if (p.sources !== undefined && p.sources.length > 0 && !p.sources.includes(event.source)) continue;
      return p.compute(event);
    }
    throw new InsightsError('NOT_FOUND', `module ${this.#def.name} has no event property "${name}" for source "${event.source}"`);
  }

  /** The handler's context. `signal` and `mesh` are made on first use: most handlers need neither. */
  #context(deadline: number, signals: SignalSource, onProgress: HostCallControl['onProgress']): Context {
    return new CallContext(this.#scope, deadline, signals, onProgress);
  }

  async #refreshMemoized(name: string, args: Record<string, unknown>, deadline: number, signal: AbortSignal): Promise<unknown> {
    const kind = name in this.#def.queries ? 'query' : name in this.#def.views ? 'view' : undefined;
    const def = kind === 'query' ? this.#def.queries[name] : kind === 'view' ? this.#def.views[name] : undefined;
    if (kind === undefined || def === undefined || def.memoize === undefined)
      throw new InsightsError('INVALID_ARGUMENT', `refresh: ${this.#def.name} has no memoized query or view "${name}"`, {
        parameter: 'name',
      });
    const parsed = this.#params.get(`${kind}:${name}`)?.parse(args) ?? args;
    const ctx = this.#context(deadline, { signal }, undefined);
    return this.cache.refresh(`${kind}:${name}`, parsed, async () => def.run(parsed as never, ctx), {
      ttlSeconds: def.memoize.ttlSeconds,
    });
  }

  #toCallError(analytic: string, e: unknown, ended: AbortSignal | InsightsError | undefined): InsightsError {
    const reason = ended instanceof AbortSignal ? (ended.aborted ? ended.reason : undefined) : ended;
    if (isInsightsError(reason)) return reason;
    if (isInsightsError(e)) {
      // Errors from nested mesh calls and our own checks pass through; a module may only claim
      // the codes that describe its input, never e.g. UNAVAILABLE (which would trigger retries).
      if (MODULE_THROWABLE_CODES.has(e.code) || e.code === 'DEADLINE_EXCEEDED' || e.code === 'CANCELLED') {
        return e.analytic === undefined
          ? new InsightsError(e.code, e.message, { parameter: e.parameter, suggestions: e.suggestions, analytic })
          : e;
      }
      return new InsightsError('INTERNAL', `${analytic} failed: ${e.message}`, { analytic });
    }
    const message = e instanceof Error ? e.message : String(e);
    this.#log.error('analytic threw', { analytic, error: message, stack: e instanceof Error ? e.stack : undefined });
    return new InsightsError('INTERNAL', `${analytic} failed: ${message}`, { analytic });
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}

function outcomeOf(kind: 'query' | 'view', analytic: string, value: unknown, shared: boolean): CallOutcome {
  if (kind === 'view') return toViewOutcome(analytic, value);
  return shared ? { type: 'json', value, shared } : { type: 'json', value };
}

function toViewOutcome(analytic: string, value: unknown): CallOutcome {
  if (typeof value === 'string') return { type: 'html', html: value };
  if (isViewResult(value)) return value;
  throw new InsightsError(
    'INTERNAL',
    `${analytic} returned ${value === null ? 'null' : typeof value}; a view must return a string (HTML) or html()/svg()/png()/table()/vegaLite() from @insights/sdk`,
    { analytic },
  );
}
