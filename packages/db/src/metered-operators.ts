/**
 * mingo's operators, metered: the context every module query of the embedded engine runs with.
 *
 * - Every expression and accumulator operator charges the value it returns (a string's length, 8
 *   bytes per array element, 16 per object field) to the top-level expression being evaluated;
 *   one value over MAX_VALUE_BYTES, or all of them over MAX_EXPRESSION_BYTES, fails with
 *   DB_EXPRESSION_TOO_LARGE naming the operator. Operators whose result can be far larger than
 *   their arguments (`$range`, `$concat`, `$concatArrays`, `$zip`, `$replaceAll`) are measured
 *   before they build it, from their evaluated arguments.
 * - Every 1024 operator calls, and every 256 documents a stage takes, the operation's clock is
 *   asked whether it is out of time.
 * - `$regexMatch`, `$regexFind` and `$regexFindAll` take their pattern at run time: it is made
 *   linear-time, or refused, where they run (linear-regex.ts).
 * - `$lookup` (as mingo runs it) may join at most MAX_JOINED_BYTES into one document;
 *   `$graphLookup` is our own (graph-lookup.ts), bounded the same way.
 *
 * Built as a Context of our own: mingo merges a caller's context under its built-in operators,
 * so the built-ins cannot be replaced through the options of its default entry points.
 */
import type { Document } from '@insights/sdk';
import { Context, evalExpr } from 'mingo/core';
import type { Iterator as LazyIterator } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import type { Options } from 'mingo/types';
import { DbError } from './errors.ts';
import { graphLookup } from './graph-lookup.ts';
import { linearRegExp } from './linear-regex.ts';
import { checkActiveClock } from './operation-clock.ts';
import { MAX_EXPRESSION_BYTES, MAX_JOINED_BYTES, MAX_VALUE_BYTES } from './query-limits.ts';

type Operator = (obj: unknown, expr: unknown, options: Options) => unknown;
type PipelineOperator = (coll: LazyIterator, expr: Document, options: Options) => LazyIterator;

const MIB = 1024 * 1024;
/** Operator calls between two looks at the operation's clock. */
const CALLS_PER_CLOCK_CHECK = 1024;

/** Nesting depth of metered calls: 0 between top-level expressions. */
let depth = 0;
/** What the top-level expression being evaluated has built so far, estimated bytes. */
let spent = 0;
let calls = 0;

const mib = (bytes: number): string => `${Math.round((bytes / MIB) * 10) / 10} MiB`;

function tooLarge(op: string, what: string): DbError {
  return new DbError(
    'DB_EXPRESSION_TOO_LARGE',
    `${op} ${what}: module queries are bounded to ${mib(MAX_VALUE_BYTES)} per value (MAX_VALUE_BYTES) and ` +
      `${mib(MAX_EXPRESSION_BYTES)} built per expression and document (MAX_EXPRESSION_BYTES), estimated as 1 byte per ` +
      'character, 8 per array element and 16 per object field.',
  );
}

/** Estimated bytes of a value an operator returns (its top level: nested values were charged when built). */
function sizeOf(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) return 8 * v.length;
  if (typeof v === 'object' && v !== null && !(v instanceof Date) && !(v instanceof RegExp)) {
    let n = 0;
    for (const _ in v) n++;
    return 16 * n;
  }
  return 0;
}

function charge(op: string, bytes: number, planned: boolean): void {
  if (bytes > MAX_VALUE_BYTES) {
    throw tooLarge(op, `${planned ? 'would build' : 'built'} a value of ${mib(bytes)}, over ${mib(MAX_VALUE_BYTES)}`);
  }
  spent += bytes;
  if (spent > MAX_EXPRESSION_BYTES) {
    throw tooLarge(op, `${planned ? 'would take' : 'took'} the values one expression built past ${mib(MAX_EXPRESSION_BYTES)}`);
  }
}

/** An operator that charges what it returns; `before` may measure (and rewrite) its arguments first. */
function metered(op: string, fn: Operator, before?: Planner): Operator {
  return (obj, expr, options) => {
    if (depth === 0) spent = 0;
    if (++calls % CALLS_PER_CLOCK_CHECK === 0) checkActiveClock();
    depth++;
    try {
      let args = expr;
      if (before !== undefined) {
        const plan = before(obj, expr, options);
        if (plan !== undefined) {
          charge(op, plan.bytes, true);
          args = plan.expr;
        }
      }
      const value = fn(obj, args, options);
      if (before === undefined) charge(op, sizeOf(value), false);
      return value;
    } finally {
      depth--;
    }
  };
}

/** The size an operator's result will have, and its arguments already evaluated (so they are not evaluated twice). */
type Planner = (obj: unknown, expr: unknown, options: Options) => { bytes: number; expr: unknown } | undefined;

const literal = (v: unknown): Document => ({ $literal: v });
const isArrayOf = <T>(v: unknown, test: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.every(test);
const isString = (x: unknown): x is string => typeof x === 'string';
const isArray = (x: unknown): x is unknown[] => Array.isArray(x);

/** Arguments given as an array of expressions, evaluated; undefined for other shapes (mingo reports those). */
function evaluatedList(obj: unknown, expr: unknown, options: Options): unknown[] | undefined {
  if (!Array.isArray(expr)) return undefined;
  const args: unknown = evalExpr(obj, expr, options);
  return Array.isArray(args) ? args : undefined;
}

const PLANNERS: Record<string, Planner> = {
  $range: (obj, expr, options) => {
    const args = evaluatedList(obj, expr, options);
    if (args === undefined) return undefined;
    const [start, end, step = 1] = args;
    const count =
      Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) && step !== 0
        ? Math.max(0, Math.ceil(((end as number) - (start as number)) / (step as number)))
        : 0;
    return { bytes: 8 * count, expr: args.map(literal) };
  },
  $concat: (obj, expr, options) => {
    const args = evaluatedList(obj, expr, options);
    if (args === undefined) return undefined;
    return { bytes: args.reduce<number>((n, s) => n + (typeof s === 'string' ? s.length : 0), 0), expr: args.map(literal) };
  },
  $concatArrays: (obj, expr, options) => {
    const args = evaluatedList(obj, expr, options);
    if (args === undefined) return undefined;
    return { bytes: args.reduce<number>((n, a) => n + (Array.isArray(a) ? 8 * a.length : 0), 0), expr: args.map(literal) };
  },
  $zip: (obj, expr, options) => {
    if (typeof expr !== 'object' || expr === null || !('inputs' in expr)) return undefined;
    const spec = expr as Document;
    const inputs: unknown = evalExpr(obj, spec['inputs'], options);
    if (!isArrayOf(inputs, isArray)) return undefined;
    const lengths = inputs.map((a) => a.length);
    const count = spec['useLongestLength'] === true ? Math.max(0, ...lengths) : Math.min(...lengths);
    return { bytes: 8 * (count + count * inputs.length), expr: { ...spec, inputs: literal(inputs) } };
  },
  $replaceAll: (obj, expr, options) => {
    if (typeof expr !== 'object' || expr === null || Array.isArray(expr)) return undefined;
    const args: unknown = evalExpr(obj, expr, options);
    const { input, find, replacement } = args as Document;
    const rest = { input: literal(input), find: literal(find), replacement: literal(replacement) };
    if (!isString(input) || !isString(find) || !isString(replacement)) return { bytes: 0, expr: rest };
    const places = find.length === 0 ? input.length + 1 : Math.floor(input.length / find.length);
    return { bytes: input.length + places * replacement.length, expr: rest };
  },
};

/** A regular-expression operator whose pattern (evaluated per document) must run in linear time. */
function linearPattern(fn: Operator): Operator {
  return (obj, expr, options) => {
    if (typeof expr !== 'object' || expr === null || Array.isArray(expr)) return fn(obj, expr, options);
    const spec = evalExpr(obj, expr, options) as Document;
    if (spec['regex'] === undefined || spec['regex'] === null) return fn(obj, expr, options);
    const re = linearRegExp(spec['regex'], spec['options']);
    return fn(obj, { input: literal(spec['input']), regex: literal(re.source), options: literal(re.flags) }, options);
  };
}

/** Bytes of JSON of the documents joined into one output document, stopping past the limit. */
function checkJoined(stage: string, joined: unknown): void {
  if (!Array.isArray(joined)) return;
  let bytes = 0;
  for (const doc of joined) {
    bytes += JSON.stringify(doc)?.length ?? 0;
    if (bytes > MAX_JOINED_BYTES) {
      throw new DbError(
        'DB_LOOKUP_TOO_LARGE',
        `${stage} joined more than ${mib(MAX_JOINED_BYTES)} of documents into one document (MAX_JOINED_BYTES, ` +
          "MongoDB's document limit): narrow the join with $match, or $unwind and $group on the joined collection instead.",
      );
    }
  }
}

function boundedJoin(stage: string, fn: PipelineOperator): PipelineOperator {
  return (coll, expr, options) => {
    const as = expr['as'];
    return fn(coll, expr, options).map((doc: unknown) => {
      if (typeof as === 'string') checkJoined(stage, (doc as Document)[as]);
      return doc;
    });
  };
}

function meteredAll(ops: Record<string, unknown>): Record<string, Operator> {
  const out: Record<string, Operator> = {};
  for (const [name, fn] of Object.entries(ops)) {
    if (typeof fn !== 'function') continue;
    // `$literal` hands its argument back as it is (and carries the planners' evaluated arguments).
    out[name] = name === '$literal' ? (fn as Operator) : metered(name, fn as Operator, PLANNERS[name]);
  }
  return out;
}

const expression = meteredAll(expressionOperators);
for (const name of ['$regexMatch', '$regexFind', '$regexFindAll']) {
  expression[name] = linearPattern(expression[name] as Operator);
}
/** Documents a stage takes between two looks at the operation's clock. */
const DOCS_PER_CLOCK_CHECK = 256;

/**
 * A stage whose input asks the operation's clock: stages that pull their whole input in one go
 * (`$group`, `$sort`, `$bucket`, ...) after one that multiplies documents (`$unwind`) run long
 * without calling an expression operator.
 */
function timedInput(fn: PipelineOperator): PipelineOperator {
  return (coll, expr, options) => {
    let n = 0;
    const input = coll.map((doc: unknown) => {
      if (++n % DOCS_PER_CLOCK_CHECK === 0) checkActiveClock();
      return doc;
    });
    return fn(input, expr, options);
  };
}

const pipeline: Record<string, PipelineOperator> = {};
for (const [name, fn] of Object.entries(pipelineOperators as unknown as Record<string, PipelineOperator>)) {
  pipeline[name] = timedInput(fn);
}
pipeline['$lookup'] = boundedJoin('$lookup', pipeline['$lookup'] as PipelineOperator);
pipeline['$graphLookup'] = timedInput(graphLookup as PipelineOperator);

/** The operators of every module query on the embedded engine. */
export const METERED_CONTEXT: Context = Context.init({
  accumulator: meteredAll(accumulatorOperators) as never,
  expression: expression as never,
  pipeline: pipeline as never,
  projection: projectionOperators as never,
  query: queryOperators as never,
  window: windowOperators as never,
});
