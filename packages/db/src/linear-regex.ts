/**
 * Regular expressions of module queries run in linear time. V8's backtracking engine takes
 * exponential time on patterns like `^(a+)+$` (one document with 40 characters froze the node for
 * hours); V8 also has a linear-time engine and, with the flags set here, switches a regular
 * expression to it once it backtracks too much. That engine cannot run back references,
 * lookarounds, or the `i`/`u` flags, so each pattern a module's query holds is checked once when
 * the query is compiled: an `i` pattern is rewritten without the flag (case-fold.ts), and one the
 * linear engine still cannot run is refused, since it would backtrack without bound.
 */
import { setFlagsFromString } from 'node:v8';
import { foldCase } from './case-fold.ts';

let enabled = false;

/** Lets V8 run regular expressions in linear time (idempotent; flags are process-wide). */
export function enableLinearRegExp(): void {
  if (enabled) return;
  enabled = true;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString('--enable-experimental-regexp-engine');
}

enableLinearRegExp();

/** Flags a module's pattern may carry (MongoDB's `$options` are i, m, s and x; x is refused by mingo). */
const ALLOWED_FLAGS = /^[imsgy]*$/;
const CACHE_LIMIT = 1024;
const checked = new Map<string, { source: string; flags: string } | Error>();

function describe(source: string, flags: string): string {
  const shown = source.length > 80 ? `${source.slice(0, 80)}...` : source;
  return `/${shown}/${flags}`;
}

function check(source: string, flags: string): { source: string; flags: string } | Error {
  if (!ALLOWED_FLAGS.test(flags)) {
    return new Error(
      `the regular expression ${describe(source, flags)} has flags other than i, m, s, g and y, which module queries do not allow`,
    );
  }
  const plain = flags.replace('i', '');
  let linear = source;
  try {
    if (plain !== flags) linear = foldCase(source);
    new RegExp(linear, `${plain}l`);
  } catch {
    // Either a syntax error (new RegExp says which) or a pattern the linear engine cannot run.
    try {
      new RegExp(source, flags);
    } catch (syntax) {
      return syntax as Error;
    }
    return new Error(
      `the regular expression ${describe(source, flags)} cannot run in linear time: back references and ` +
        'lookarounds are not allowed in module queries (they can take exponential time)',
    );
  }
  return { source: linear, flags: plain };
}

/**
 * The RegExp a module query may run for `pattern` (a source or a RegExp) with `options` (MongoDB's
 * `$options`, replacing a RegExp's own flags when given): equivalent, without `i`, runnable in
 * linear time. Throws a plain Error saying why otherwise (callers give it their code).
 */
export function linearRegExp(pattern: unknown, options?: unknown): RegExp {
  if (!(pattern instanceof RegExp) && typeof pattern !== 'string') {
    throw new Error(`a regular expression must be a string or a RegExp, got ${typeof pattern}`);
  }
  if (options !== undefined && options !== null && typeof options !== 'string') {
    throw new Error(`regular expression options must be a string, got ${typeof options}`);
  }
  const source = pattern instanceof RegExp ? pattern.source : pattern;
  const flags = typeof options === 'string' ? options : pattern instanceof RegExp ? pattern.flags : '';
  const key = `${flags}/${source}`;
  let result = checked.get(key);
  if (result === undefined) {
    result = check(source, flags);
    if (checked.size >= CACHE_LIMIT) checked.clear();
    checked.set(key, result);
  }
  if (result instanceof Error) throw result;
  // A fresh object each time: `g` and `y` expressions carry their position.
  return new RegExp(result.source, result.flags);
}
