import type {
  AnyQuery,
  AnyView,
  EventHandlerDefinition,
  EventPropertyDefinition,
  InputOf,
  JobDefinition,
  NormaliserDefinition,
  ParamShape,
  QueryDefinition,
  ViewDefinition,
} from './analytic.ts';
import type { CallOptions } from './mesh-proxy.ts';
import { isModuleName, MODULE_NAME_RULE } from './module-name.ts';
import type { ViewResult } from './view-result.ts';

/** Bumped when the module contract changes incompatibly; nodes refuse modules built for another. */
export const SDK_CONTRACT_VERSION = 1;

const ANALYTIC_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** A learner field: a JSON key or table column name (no dots: fields are matched at any depth by name). */
const LEARNER_FIELD = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
export const MAX_LEARNER_FIELDS = 32;

export interface ModuleDefinition<
  Q extends Record<string, AnyQuery> = Record<string, AnyQuery>,
  V extends Record<string, AnyView> = Record<string, AnyView>,
  N extends string = string,
> {
  /** Lower-case identifier; also the namespace of its db, files and cache. */
  readonly name: N;
  readonly version: string;
  readonly description?: string;
  readonly queries: Q;
  readonly views: V;
  readonly eventHandlers: Readonly<Record<string, EventHandlerDefinition>>;
  readonly eventProperties: Readonly<Record<string, EventPropertyDefinition>>;
  readonly jobs: Readonly<Record<string, JobDefinition>>;
  readonly normalisers: Readonly<Record<string, NormaliserDefinition>>;
  /** Other modules' collections this module reads (ctx.readDb), by module; see ModuleInit.reads. */
  readonly reads?: Readonly<Record<string, readonly string[]>>;
  /** Result fields and parameters that carry learner identifiers (see ModuleInit.learnerFields). */
  readonly learnerFields?: readonly string[];
  readonly sdkContract: number;
}

export interface ModuleInit<Q extends Record<string, AnyQuery>, V extends Record<string, AnyView>, N extends string> {
  name: N;
  version?: string;
  description?: string;
  queries?: Q;
  views?: V;
  eventHandlers?: Record<string, EventHandlerDefinition>;
  eventProperties?: Record<string, EventPropertyDefinition>;
  jobs?: Record<string, JobDefinition>;
  normalisers?: Record<string, NormaliserDefinition>;
  /**
   * Other modules' collections this module reads through `ctx.readDb(module)`, e.g.
   * `{ 'video-engagement': ['segments'] }`. Read-only, and only where the node's operator also
   * allows it (`modules[].reads` in the node config); any other collection is refused.
   */
  reads?: Record<string, readonly string[]>;
  /**
   * Names of the result fields (JSON keys at any depth, table columns) and parameters of this
   * module's queries and views that carry learner identifiers, besides the node's own list
   * (`learner`, `user`, `actor`, `username`, `user_id`). A pseudonymised caller sees them as
   * pseudonyms and passes pseudonyms for them.
   */
  learnerFields?: readonly string[];
}

/**
 * Declares a module: the one default export of a module file. Names are checked here, so a
 * typo fails when the author runs the module's test, not when a node loads it.
 */
export function defineModule<
  Q extends Record<string, AnyQuery> = {},
  V extends Record<string, AnyView> = {},
  const N extends string = string,
>(init: ModuleInit<Q, V, N>): ModuleDefinition<Q, V, N> {
  if (!isModuleName(init.name))
    throw new TypeError(`defineModule: name ${JSON.stringify(init.name)} must be ${MODULE_NAME_RULE}`);
  const learnerFields: readonly string[] = Object.freeze([...new Set(init.learnerFields ?? [])]);
  const def: ModuleDefinition<Q, V, N> = {
    name: init.name,
    version: init.version ?? '0.0.0',
    ...(init.description === undefined ? {} : { description: init.description }),
    queries: init.queries ?? ({} as Q),
    views: init.views ?? ({} as V),
    eventHandlers: init.eventHandlers ?? {},
    eventProperties: init.eventProperties ?? {},
    jobs: init.jobs ?? {},
    normalisers: init.normalisers ?? {},
    reads: checkReads(init.name, init.reads ?? {}),
    learnerFields,
    sdkContract: SDK_CONTRACT_VERSION,
  };
  if (learnerFields.length > MAX_LEARNER_FIELDS)
    throw new TypeError(`defineModule(${init.name}): at most ${MAX_LEARNER_FIELDS} learnerFields`);
  for (const f of learnerFields)
    if (typeof f !== 'string' || !LEARNER_FIELD.test(f))
      throw new TypeError(`defineModule(${init.name}): learner field ${JSON.stringify(f)} must match ${String(LEARNER_FIELD)}`);
  for (const [section, entries] of Object.entries({ queries: def.queries, views: def.views, jobs: def.jobs }))
    for (const [name, a] of Object.entries(entries as Record<string, { aliases?: readonly string[] }>))
      for (const n of [name, ...(a.aliases ?? [])])
        if (!ANALYTIC_NAME.test(n))
          throw new TypeError(`defineModule(${init.name}): ${section} name "${n}" is not a valid identifier`);
  return Object.freeze(def);
}

/** Collection names as the databases take them: no `$`, no NUL, not empty, not `system.*`. */
const COLLECTION_NAME = /^(?!system\.)[^$\0]{1,120}$/;

function checkReads(module: string, reads: Record<string, readonly string[]>): Readonly<Record<string, readonly string[]>> {
  const out: Record<string, readonly string[]> = {};
  for (const [owner, collections] of Object.entries(reads)) {
    if (!isModuleName(owner)) throw new TypeError(`defineModule(${module}): reads names "${owner}", not a module name`);
    if (owner === module) throw new TypeError(`defineModule(${module}): a module reads its own data through ctx.db, not reads`);
    if (
      !Array.isArray(collections) ||
      collections.length === 0 ||
      !collections.every((c) => typeof c === 'string' && COLLECTION_NAME.test(c))
    )
      throw new TypeError(`defineModule(${module}): reads["${owner}"] must list the collection names it reads`);
    out[owner] = Object.freeze([...collections]);
  }
  return Object.freeze(out);
}

export function isModuleDefinition(v: unknown): v is ModuleDefinition {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { name?: unknown }).name === 'string' &&
    typeof (v as { sdkContract?: unknown }).sdkContract === 'number' &&
    typeof (v as { queries?: unknown }).queries === 'object'
  );
}

type QueryFn<D> =
  D extends QueryDefinition<infer P extends ParamShape, infer R>
    ? {} extends InputOf<P>
      ? (args?: InputOf<P>, options?: CallOptions) => Promise<Awaited<R>>
      : (args: InputOf<P>, options?: CallOptions) => Promise<Awaited<R>>
    : never;
type ViewFn<D> =
  D extends ViewDefinition<infer P extends ParamShape>
    ? {} extends InputOf<P>
      ? (args?: InputOf<P>, options?: CallOptions) => Promise<ViewResult>
      : (args: InputOf<P>, options?: CallOptions) => Promise<ViewResult>
    : never;

/**
 * The typed mesh for one or more module definitions: `connect<InferMesh<typeof grades>>()` gives
 * `mesh.query.get_grades(args)` with parameter and result types taken from the module's code.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type InferMesh<M extends ModuleDefinition<any, any, string>> = {
  readonly query: {
    readonly [K in keyof M['queries'] & string]: QueryFn<M['queries'][K]>;
  } & {
    readonly [K in keyof M['queries'] & string as `${M['name']}.${K}`]: QueryFn<M['queries'][K]>;
  };
  readonly view: {
    readonly [K in keyof M['views'] & string]: ViewFn<M['views'][K]>;
  };
};
