import path from 'node:path';
import {
  InsightsError,
  isInsightsError,
  isViewResult,
  type Context,
  type Db,
  type ModuleDefinition,
  type QueryDefinition,
  type ViewDefinition,
} from '@insights/sdk';
import type { UntypedMesh } from '@insights/sdk';
import { createMeshProxy, MODULE_THROWABLE_CODES, type CallInvoker } from '@insights/sdk/internal';
import type { CallOutcome } from '@insights/wire';
import { deadlineSignal, minDeadline, raceSignal } from './deadline.ts';
import type { HostCall, HostCallControl } from './host.ts';
import { buildManifest, type ModuleManifest } from './manifest.ts';
import type { CompiledParams } from './params.ts';
import { LruModuleCache, type CacheLimits } from './resources/cache.ts';
import { DiskModuleFiles, type FileUrlMaker } from './resources/files.ts';
import type { Logger } from './resources/log.ts';
import type { DbProvider } from './db/index.ts';

/** What a module needs from wherever it runs: storage, a way to call the mesh, a logger. */
export interface RuntimeEnvironment {
  /** Root of per-module data; a module's files live in `<dataDir>/modules/<name>/files`. */
  readonly dataDir: string;
  readonly db: DbProvider;
  readonly makeFileUrl: FileUrlMaker;
  /** Nested calls (`ctx.mesh`): the node routes them locally or across the mesh. */
  readonly mesh: CallInvoker;
  readonly log: Logger;
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
  }

  static async create(def: ModuleDefinition, env: RuntimeEnvironment): Promise<ModuleRuntime> {
    return new ModuleRuntime(def, env, await env.db.forModule(def.name));
  }

  async call(call: HostCall, control: HostCallControl): Promise<CallOutcome> {
    const analytic = `${this.#def.name}.${call.name}`;
    const def = (call.kind === 'query' ? this.#def.queries[call.name] : this.#def.views[call.name]) as
      | QueryDefinition
      | ViewDefinition
      | undefined;
    const params = this.#params.get(`${call.kind}:${call.name}`);
    if (def === undefined || params === undefined)
      throw new InsightsError('NOT_FOUND', `module ${this.#def.name} has no ${call.kind} named "${call.name}"`, {
        analytic,
      });
    const args = params.parse(call.args);
    const { signal, dispose } = deadlineSignal(call.deadline, control.signal);
    try {
      const ctx = this.#context(call.deadline, signal, control.onProgress);
      const run = async (): Promise<unknown> => def.run(args as never, ctx);
      const work =
        def.memoize === undefined
          ? run()
          : this.cache.memoize(`${call.kind}:${call.name}`, args, run, { ttlSeconds: def.memoize.ttlSeconds });
      // Handlers that ignore their signal still answer the caller at the deadline.
      const value = await raceSignal(work, signal);
      return call.kind === 'query' ? { type: 'json', value } : toViewOutcome(analytic, value);
    } catch (e) {
      throw this.#toCallError(analytic, e, signal);
    } finally {
      dispose();
    }
  }

  #context(deadline: number, signal: AbortSignal, onProgress: HostCallControl['onProgress']): Context {
    const env = this.#env;
    const nested: CallInvoker = {
      names: (kind) => env.mesh.names(kind),
      invoke: (kind, name, args, options) =>
        env.mesh.invoke(kind, name, args, {
          ...options,
          deadline: minDeadline(options.deadline, deadline) ?? deadline,
          signal: options.signal === undefined ? signal : AbortSignal.any([options.signal, signal]),
        }),
    };
    return {
      db: this.#db,
      fs: this.files,
      cache: this.cache,
      mesh: createMeshProxy<UntypedMesh>(nested),
      log: this.#log,
      signal,
      deadline,
      module: this.#def.name,
      progress: (fraction, message = '') => {
        if (Number.isFinite(fraction)) onProgress?.(Math.min(1, Math.max(0, fraction)), String(message));
      },
    };
  }

  #toCallError(analytic: string, e: unknown, signal: AbortSignal): InsightsError {
    if (signal.aborted && isInsightsError(signal.reason)) return signal.reason;
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

function toViewOutcome(analytic: string, value: unknown): CallOutcome {
  if (typeof value === 'string') return { type: 'html', html: value };
  if (isViewResult(value)) return value;
  throw new InsightsError(
    'INTERNAL',
    `${analytic} returned ${value === null ? 'null' : typeof value}; a view must return a string (HTML) or html()/svg()/png()/table()/vegaLite() from @insights/sdk`,
    { analytic },
  );
}
