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
import { MODULE_THROWABLE_CODES } from '@insights/sdk/internal';
import type { CallOutcome } from '@insights/wire';
import type { NestedCaller, NestedCallInvoker } from './call-authority.ts';
import { CallContext, type ModuleScope, type ReadingCall, type SignalSource } from './call-context.ts';
import { CallScope } from './call-scope.ts';
import { deadlineSignal, raceSignal } from './deadline.ts';
import type { HostCall, HostCallControl } from './host.ts';
import { buildManifest, type ModuleManifest } from './manifest.ts';
import type { CompiledParams } from './params.ts';
import { LruModuleCache, type CacheLimits } from './resources/cache.ts';
import { DiskModuleFiles, type FileUrlMaker, type StoredModuleFiles } from './resources/files.ts';
import { DbModuleFiles } from './resources/files-db.ts';
import { DbMemoStore } from './resources/memo-db.ts';
import type { Logger } from './resources/log.ts';
import type { DbProvider } from '@insights/db';
import { checkEmitFields, deriveEvent, maxHops, type EmitFields } from './events/derived-event.ts';
import { compileFilter } from './events/filter.ts';
import type { NormaliseOutcome } from './events/normalise-result.ts';
import { once, streamPositions, updateOnce, type StreamDelivery } from './events/once.ts';
import type { SqlGateway } from './resources/sql-client.ts';
import { noLearnerIdKey } from './resources/learner-ids.ts';

/** Why an event is emitted: the handler, the ids of the events it handled, the module's fields. */
export interface EmitCause {
  readonly handler: string;
  readonly parents: readonly string[];
  readonly fields: EmitFields;
}

/** What a module needs from wherever it runs: storage, a way to call the mesh, a logger. */
export interface RuntimeEnvironment {
  /** Root of per-module data; a module's files live in `<dataDir>/modules/<name>/files`. */
  readonly dataDir: string;
  readonly db: DbProvider;
  /**
   * Whether every replica of the module shares its database (MongoDB): then its files and
   * memoized results live there too, so any replica serves a signed URL or a warmed result.
   */
  readonly sharedState?: boolean | undefined;
  readonly makeFileUrl: FileUrlMaker;
  /** Nested calls (`ctx.mesh`): the node routes them locally or across the mesh, told who calls. */
  readonly mesh: NestedCallInvoker;
  readonly log: Logger;
  /**
   * Publishes a derived event (`ctx.emit`); absent where events are not wired (then emit fails
   * clearly). `cause` is what the module decided and which events it handled: a sandbox sends
   * only that, and its host derives the envelope again (derived-event.ts).
   */
  readonly emit?: (event: EventEnvelope, cause: EmitCause) => Promise<void>;
  /** Computes an event property wherever it is served (`ctx.property`). */
  readonly property?: (event: EventEnvelope, name: string) => Promise<unknown>;
  readonly cacheLimits?: CacheLimits;
  /** Read replicas the node runs statements on (`ctx.sql`); absent where none are configured. */
  readonly sql?: SqlGateway | undefined;
  /**
   * Another module's database for `reader`, read-only, where the node allows it (`ctx.readDb`).
   * `call`: the call it is read for, whose deadline bounds reads through the mesh.
   */
  readonly readDb?: ((reader: string, owner: string, call?: ReadingCall) => Promise<Db>) | undefined;
  /** Keyed learner ids (`ctx.learnerId`), computed where the key is: absent where the node has none. */
  readonly learnerId?: ((id: string) => string | Promise<string>) | undefined;
}

/**
 * Runs one module's analytics with its resources: validates arguments, builds the context,
 * enforces the deadline, turns results into CallOutcomes and errors into coded InsightsErrors.
 * Hosts of every isolation level wrap this same class.
 */
export class ModuleRuntime {
  readonly manifest: ModuleManifest;
  readonly files: StoredModuleFiles;
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
    this.files = moduleFiles(def.name, env, db);
    this.cache = new LruModuleCache(
      env.cacheLimits,
      env.sharedState === true
        ? {
            store: new DbMemoStore(db),
            onError: (e, operation) =>
              this.#log.warn('shared memo store failed; the result is computed here', { operation, error: (e as Error).message }),
          }
        : undefined,
    );
    this.#scope = {
      db,
      fs: this.files,
      cache: this.cache,
      log: this.#log,
      module: def.name,
      mesh: env.mesh,
      sql: env.sql,
      readDb: (owner, call) =>
        env.readDb === undefined
          ? Promise.reject(
              new InsightsError(
                'PERMISSION_DENIED',
                `module "${def.name}" may not read module "${owner}"'s data: this host does not allow reads of other modules`,
              ),
            )
          : env.readDb(def.name, owner, call),
      refresh: (name, args, deadline, signal, caller) => this.#refreshMemoized(name, args, deadline, signal, caller),
      learnerId: async (id) => {
        if (env.learnerId === undefined) throw noLearnerIdKey(def.name);
        return env.learnerId(id);
      },
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
      const ctx = this.#context(call.deadline, s, control.onProgress, {
        module: this.#def.name,
        authority: control.authority,
        callId: control.callId,
        parentId: control.auditId,
      });
      const out =
        def.memoize === undefined
          ? def.run(args as never, ctx)
          : this.cache.memoize(
              memoName(call.kind, call.name, control.memoScope ?? control.authority?.label),
              args,
              async () => def.run(args as never, ctx),
              {
                ttlSeconds: def.memoize.ttlSeconds,
              },
            );
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
  /** `callId`: in a sandbox, the host's id of this request (nested calls name it; they run with the module's authority). */
  async handleEvents(
    handler: string,
    events: readonly EventEnvelope[],
    deadline: number,
    signal: AbortSignal,
    callId?: number,
    delivery?: StreamDelivery,
  ): Promise<number> {
    const def = this.#def.eventHandlers[handler];
    if (def === undefined) throw new InsightsError('NOT_FOUND', `module ${this.#def.name} has no event handler "${handler}"`);
    let filter = this.#filters.get(handler);
    if (filter === undefined) this.#filters.set(handler, (filter = compileFilter(def.filter)));
    const matching = events.filter(filter);
    if (matching.length === 0) return 0;
    const scope = deadlineSignal(deadline, signal);
    const analytic = `${this.#def.name}.${handler}`;
    const positionOf = streamPositions(handler, events, delivery);
    try {
      const env = this.#env;
      const db = this.#db;
      // The call context plus the event methods (getters like `signal` stay on its prototype).
      const ctx: EventContext = Object.assign(this.#context(deadline, scope, undefined, { module: this.#def.name, callId }), {
        emit: async (e: Parameters<EventContext['emit']>[0]) => {
          if (env.emit === undefined)
            throw new InsightsError('FAILED_PRECONDITION', 'events are not wired on this host; ctx.emit is unavailable');
          const fields = checkEmitFields(e, false);
          const parents = matching.map((m) => m.id);
          const event = deriveEvent(this.#def.name, handler, parents, maxHops(matching), fields);
          await env.emit(event, { handler, parents, fields });
        },
        property: (e: EventEnvelope, name: string) =>
          env.property === undefined ? Promise.resolve(this.computeProperty(name, e)) : env.property(e, name),
        updateOnce: (
          collection: string,
          e: EventEnvelope,
          f: Filter<Document>,
          u: UpdateFilter<Document>,
          o?: { upsert?: boolean },
        ) => updateOnce(db, collection, e.id, f, u, o, positionOf(e)),
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
  async runJob(job: string, deadline: number, signal: AbortSignal, callId?: number): Promise<void> {
    const def = this.#def.jobs[job];
    if (def === undefined) throw new InsightsError('NOT_FOUND', `module ${this.#def.name} has no job "${job}"`);
    const scope = deadlineSignal(deadline, signal);
    try {
      await raceSignal(
        Promise.resolve().then(() => def.run(this.#context(deadline, scope, undefined, { module: this.#def.name, callId }))),
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
  #context(deadline: number, signals: SignalSource, onProgress: HostCallControl['onProgress'], caller: NestedCaller): Context {
    return new CallContext(this.#scope, deadline, signals, onProgress, caller);
  }

  async #refreshMemoized(
    name: string,
    args: Record<string, unknown>,
    deadline: number,
    signal: AbortSignal,
    caller: NestedCaller,
  ): Promise<unknown> {
    const kind = name in this.#def.queries ? 'query' : name in this.#def.views ? 'view' : undefined;
    const def = kind === 'query' ? this.#def.queries[name] : kind === 'view' ? this.#def.views[name] : undefined;
    if (kind === undefined || def === undefined || def.memoize === undefined)
      throw new InsightsError('INVALID_ARGUMENT', `refresh: ${this.#def.name} has no memoized query or view "${name}"`, {
        parameter: 'name',
      });
    const parsed = this.#params.get(`${kind}:${name}`)?.parse(args) ?? args;
    const ctx = this.#context(deadline, { signal }, undefined, caller);
    return this.cache.refresh(memoName(kind, name, caller.authority?.label), parsed, async () => def.run(parsed as never, ctx), {
      ttlSeconds: def.memoize.ttlSeconds,
    });
  }

  #toCallError(analytic: string, e: unknown, ended: AbortSignal | InsightsError | undefined): InsightsError {
    const reason = ended instanceof AbortSignal ? (ended.aborted ? ended.reason : undefined) : ended;
    if (isInsightsError(reason)) return reason;
    if (isInsightsError(e)) {
      // Errors from nested mesh calls and our own checks pass through; a module may only claim
      // the codes that describe its input, never e.g. UNAVAILABLE (which would trigger retries).
      // A limit of a node resource (ctx.sql's rows and bytes) is not retryable either: it passes.
      if (MODULE_THROWABLE_CODES.has(e.code) || PASS_THROUGH_CODES.has(e.code)) {
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

/** Where a module's files live: its shared database when replicas share one, else the node's disk. */
export function moduleFiles(module: string, env: RuntimeEnvironment, db: Db): StoredModuleFiles {
  return env.sharedState === true
    ? new DbModuleFiles(module, db, env.makeFileUrl)
    : new DiskModuleFiles(module, path.join(env.dataDir, 'modules', module, 'files'), env.makeFileUrl);
}

/** Codes the node's own resources raise inside a module's call, kept as they are. */
const PASS_THROUGH_CODES: ReadonlySet<string> = new Set(['DEADLINE_EXCEEDED', 'CANCELLED', 'RESOURCE_EXHAUSTED']);

/** A memoized analytic's cache name: one per authority, so no caller sees what another's nested calls read. */
function memoName(kind: string, name: string, scope: string | undefined): string {
  return scope === undefined ? `${kind}:${name}` : `${kind}:${name}@${scope}`;
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
