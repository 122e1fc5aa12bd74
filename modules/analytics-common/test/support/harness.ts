/**
 * Runs one module's handlers, queries and views in-process on a real embedded database, with
 * full control over how events arrive (one by one, in batches, shuffled, redelivered). Tests use
 * it to check that realtime results equal a recompute from replay; `local()` mode covers the
 * end-to-end path through normalisation and the node's filters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDbProvider } from '@insights/db';
import { LruModuleCache } from '@insights/runtime';
import {
  isViewResult,
  z,
  type Context,
  type Db,
  type EventContext,
  type EventEnvelope,
  type EventFilter,
  type ModuleDefinition,
  type ViewResult,
} from '@insights/sdk';

export interface DeliverOptions {
  /** Events per handler call (default: all in one batch). */
  readonly batchSize?: number;
  /** Only this handler (default: every handler whose filter matches). */
  readonly handler?: string;
}

export interface ModuleHarness {
  readonly db: Db;
  /** Delivers events to the handlers whose declared filters match, as a node would. */
  deliver(events: readonly EventEnvelope[], options?: DeliverOptions): Promise<void>;
  query<R = unknown>(name: string, args?: Record<string, unknown>): Promise<R>;
  view(name: string, args?: Record<string, unknown>): Promise<ViewResult>;
  /** Runs a scheduled job once, now. */
  job(name: string): Promise<void>;
  close(): Promise<void>;
}

/** NATS-style type patterns, as the node matches them (`*` one token, `>` the rest). */
function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '>' || pattern === type) return true;
  const p = pattern.split('.');
  const t = type.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i === p.length - 1 && t.length > i;
    if (i >= t.length || (p[i] !== '*' && p[i] !== t[i])) return false;
  }
  return p.length === t.length;
}

function matches(filter: EventFilter | undefined, e: EventEnvelope): boolean {
  if (filter === undefined) return true;
  if (filter.types !== undefined && filter.types.length > 0 && !filter.types.some((p) => typeMatches(p, e.type))) return false;
  if (filter.sources !== undefined && filter.sources.length > 0 && !filter.sources.includes(e.source)) return false;
  return filter.where === undefined || filter.where(e);
}

const unsupported = (what: string) => () => {
  throw new Error(`module harness: ${what} is not available in unit tests`);
};

export async function moduleHarness(def: ModuleDefinition): Promise<ModuleHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), `harness-${def.name}-`));
  const provider = createDbProvider({ kind: 'embedded', dir });
  const db = await provider.forModule(def.name);
  const cache = new LruModuleCache();
  const quiet = () => {};
  const ctx = {
    db,
    cache,
    fs: new Proxy({}, { get: (_t, p) => unsupported(`fs.${String(p)}`) }),
    mesh: { query: {}, view: {} },
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    signal: new AbortController().signal,
    deadline: Number.MAX_SAFE_INTEGER,
    progress: quiet,
    module: def.name,
    emit: unsupported('emit'),
    property: unsupported('property'),
  };
  const args = (params: Record<string, z.ZodType>, input: Record<string, unknown>) => z.object(params).strict().parse(input);

  return {
    db,
    async deliver(events, options = {}) {
      const size = Math.max(1, options.batchSize ?? events.length);
      for (const [name, handler] of Object.entries(def.eventHandlers)) {
        if (options.handler !== undefined && options.handler !== name) continue;
        const wanted = events.filter((e) => matches(handler.filter, e));
        for (let i = 0; i < wanted.length; i += size)
          await handler.handle(wanted.slice(i, i + size), ctx as unknown as EventContext);
      }
    },
    async query<R>(name: string, input: Record<string, unknown> = {}) {
      const q = def.queries[name];
      if (q === undefined) throw new Error(`module ${def.name} has no query ${name}`);
      return (await q.run(args(q.params, input), ctx as unknown as Context)) as R;
    },
    async view(name, input = {}) {
      const v = def.views[name];
      if (v === undefined) throw new Error(`module ${def.name} has no view ${name}`);
      const r = await v.run(args(v.params, input), ctx as unknown as Context);
      return isViewResult(r) ? r : { type: 'html', html: r };
    },
    async job(name) {
      const j = def.jobs[name];
      if (j === undefined) throw new Error(`module ${def.name} has no job ${name}`);
      await j.run(ctx as unknown as Context);
    },
    async close() {
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
