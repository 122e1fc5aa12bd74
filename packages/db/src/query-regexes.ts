/**
 * The regular expressions a module's filter or pipeline holds (RegExp values anywhere: `{ f: /x/ }`,
 * `$in`, `$not`, `$all`, nested pipelines; and `$regex` strings with their `$options`), each made
 * linear-time or refused (linear-regex.ts) once, when the query is compiled. Expression operators
 * that take a pattern at run time (`$regexMatch`, `$regexFind`, `$regexFindAll`) are checked where
 * they run (metered-operators.ts).
 */
import { linearRegExp } from './linear-regex.ts';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp);
}

/**
 * `query` with each regular expression replaced by its linear-time equivalent; the same object
 * when it holds none. Throws a plain Error naming a pattern that cannot run in linear time.
 */
export function withLinearRegexes<T>(query: T): T {
  return rewrite(query) as T;
}

function rewrite(v: unknown): unknown {
  if (v instanceof RegExp) return linearRegExp(v);
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = rewrite(x);
      if (y !== x) (out ??= [...v])[i] = y;
    }
    return out ?? v;
  }
  if (!isPlainObject(v)) return v;
  let out: Record<string, unknown> | undefined;
  if (Object.hasOwn(v, '$regex')) {
    out = { ...v, $regex: linearRegExp(v['$regex'], v['$options']) };
    delete out['$options'];
  }
  for (const key of Object.keys(v)) {
    if (key === '$regex' || key === '$options') continue;
    const x = v[key];
    const y = rewrite(x);
    if (y !== x) (out ??= { ...v })[key] = y;
  }
  return out ?? v;
}
