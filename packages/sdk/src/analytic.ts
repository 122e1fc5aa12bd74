import type { z } from 'zod';
import type { Context, EventContext } from './context.ts';
import type { EventEnvelope } from './event.ts';
import type { ViewResult } from './view-result.ts';

/** Parameters are declared as a shape of zod schemas: `{ course: z.string().describe('...') }`. */
export type ParamShape = Record<string, z.ZodType>;
/** What the handler receives: defaults applied, everything validated. */
export type ArgsOf<P extends ParamShape> = z.output<z.ZodObject<P, z.core.$strict>>;
/** What a caller passes: parameters with defaults are optional. */
export type InputOf<P extends ParamShape> = z.input<z.ZodObject<P, z.core.$strict>>;

interface Described {
  /** One or two sentences shown in listings, CLI help and dashboard forms. */
  description?: string;
  /** Other names this analytic answers to. */
  aliases?: readonly string[];
}

export interface MemoizeOptions {
  /** How long a computed result stays fresh, seconds. */
  ttlSeconds: number;
}

export interface QueryDefinition<P extends ParamShape = ParamShape, R = unknown> extends Described {
  readonly kind: 'query';
  readonly params: P;
  /** Safe to retry on another replica (default true). Mark false for queries with side effects. */
  readonly idempotent?: boolean;
  /** Cache results per canonical arguments; jobs and `ctx.cache` can refresh them. */
  readonly memoize?: MemoizeOptions;
  run(args: ArgsOf<P>, ctx: Context): R | Promise<R>;
}

export interface ViewDefinition<P extends ParamShape = ParamShape> extends Described {
  readonly kind: 'view';
  readonly params: P;
  readonly idempotent?: boolean;
  readonly memoize?: MemoizeOptions;
  /** A string is taken as HTML. */
  run(args: ArgsOf<P>, ctx: Context): ViewResult | string | Promise<ViewResult | string>;
}

/** Which events a handler wants. Matching happens on the node, before the handler is called. */
export interface EventFilter {
  /** Event types, with `*` (one dot-separated token) and `>` (the rest) wildcards. Default: all. */
  types?: readonly string[];
  /** Sources (`edx`, `xapi`, ...). Default: all. */
  sources?: readonly string[];
  /** A predicate on the envelope (course, actor, payload), run after types and sources match. */
  where?: (event: EventEnvelope) => boolean;
}

export type DeliveryMode =
  { readonly type: 'realtime' } | { readonly type: 'batched'; readonly maxEvents: number; readonly maxWaitMs: number };

/** Where a newly added handler starts reading the stream. */
export type StartFrom = 'beginning' | 'now' | { readonly time: string };

export interface EventHandlerDefinition extends Described {
  readonly kind: 'event-handler';
  readonly filter?: EventFilter;
  readonly mode?: DeliveryMode;
  readonly startFrom?: StartFrom;
  /**
   * Replicas of the module split the work by this key; events of one key stay in order (handled
   * one at a time, by one replica at a time). Replicas only see all keys' state in queries when
   * the module's database is shared (MongoDB); with the embedded database each replica holds the
   * keys it handled.
   */
  readonly partitionBy?: 'actor' | 'course' | 'resource';
  /** How many partitions the keys hash into (default 8): at most this many replicas share the work. */
  readonly partitions?: number;
  /** Attempts before an event goes to the dead-letter subject (default 5). */
  readonly maxAttempts?: number;
  handle(events: readonly EventEnvelope[], ctx: EventContext): void | Promise<void>;
}

export interface EventPropertyDefinition extends Described {
  readonly kind: 'event-property';
  /** Namespaced name, e.g. `tincan.actor`. Defaults to the key it is declared under. */
  readonly name?: string;
  /** Event sources this implementation serves; others dispatch to other modules. Default: all. */
  readonly sources?: readonly string[];
  compute(event: EventEnvelope): unknown;
}

/**
 * A data layer: turns one platform's raw events into envelopes. Ingest tries the normalisers
 * of the loaded modules in order and uses the first whose `accepts` says yes.
 */
export interface NormaliserDefinition extends Described {
  readonly kind: 'normaliser';
  /** The source this data layer produces (`edx`, `xapi`, ...). */
  readonly source: string;
  accepts(raw: unknown): boolean;
  /** Throw an error naming the field at fault for events that cannot be normalised. */
  normalise(raw: unknown): EventEnvelope | readonly EventEnvelope[];
}

export type Schedule = { readonly cron: string; readonly timezone?: string } | { readonly everySeconds: number };

export interface JobDefinition extends Described {
  readonly kind: 'job';
  readonly schedule: Schedule;
  run(ctx: Context): void | Promise<void>;
}

export type AnyQuery = QueryDefinition<any, unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type AnyView = ViewDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

type QueryInit<P extends ParamShape, R> = Omit<QueryDefinition<P, R>, 'kind' | 'params'> & { params?: P };
type ViewInit<P extends ParamShape> = Omit<ViewDefinition<P>, 'kind' | 'params'> & { params?: P };

/** Declares a query: returns data (anything JSON can carry). */
export function query<P extends ParamShape = {}, R = unknown>(init: QueryInit<P, R>): QueryDefinition<P, R> {
  return { ...init, kind: 'query', params: init.params ?? ({} as P) };
}

/** Declares a view: returns something a person looks at (HTML, SVG, PNG, table, Vega-Lite). */
export function view<P extends ParamShape = {}>(init: ViewInit<P>): ViewDefinition<P> {
  return { ...init, kind: 'view', params: init.params ?? ({} as P) };
}

export function eventHandler(init: Omit<EventHandlerDefinition, 'kind'>): EventHandlerDefinition {
  return { ...init, kind: 'event-handler' };
}

export function eventProperty(init: Omit<EventPropertyDefinition, 'kind'>): EventPropertyDefinition {
  return { ...init, kind: 'event-property' };
}

export function normaliser(init: Omit<NormaliserDefinition, 'kind'>): NormaliserDefinition {
  return { ...init, kind: 'normaliser' };
}

export function job(init: Omit<JobDefinition, 'kind'>): JobDefinition {
  return { ...init, kind: 'job' };
}
