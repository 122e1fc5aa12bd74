import { PARTITION_KEYS, SUBJECT_BUCKETS, type PartitionKey } from './partition-key.ts';
import { PAGE_MARKER } from './event-page.ts';
import { EVENT_SUBJECT_PREFIX, KEYED_MARKER, token } from './subjects.ts';

/** The buckets of one key a consumer reads (one partition's), when it reads only some. */
export interface BucketFilter {
  readonly key: PartitionKey;
  readonly buckets: readonly number[];
}

/**
 * The server-side filters of a handler's consumer (several per consumer since NATS 2.10): each
 * of its sources and type patterns in the raw and keyed subject layouts (subjects.ts), raw ones
 * always (what other publishers send reaches every handler as before) and keyed ones only in
 * `only`'s buckets when given; and the pages of its sources (every partition reads them: a page
 * mixes keys and types, its index tells a reader its events). Patterns another one covers are dropped: the server refuses a list where
 * one filter is a subset of another (partial overlaps are fine; a message is delivered once).
 */
export function filterSubjectsFor(types: readonly string[], sources: readonly string[], only?: BucketFilter): string[] {
  const srcs = sources.length === 0 ? ['*'] : sources.map(token);
  const patterns = types.length === 0 ? ['>'] : types.map(typePattern);
  const tails = srcs.flatMap((s) => patterns.map((t) => `${s}.${t}`));
  const keyed =
    only === undefined || only.buckets.length >= SUBJECT_BUCKETS
      ? ['*.*.*']
      : only.buckets.map((b) => PARTITION_KEYS.map((k) => (k === only.key ? String(b) : '*')).join('.'));
  const all = [
    ...tails.map((t) => `${EVENT_SUBJECT_PREFIX}.${t}`),
    ...keyed.flatMap((b) => tails.map((t) => `${EVENT_SUBJECT_PREFIX}.${KEYED_MARKER}.${b}.${t}`)),
    ...srcs.map((s) => `${EVENT_SUBJECT_PREFIX}.${PAGE_MARKER}.${s}`),
  ];
  return withoutCovered(all);
}

/** A declared type pattern as subject tokens: `*` and `>` stay wildcards, anything else becomes a token. */
function typePattern(type: string): string {
  return type
    .split('.')
    .map((t) => (t === '*' || t === '>' ? t : token(t)))
    .join('.');
}

/** The patterns no other one covers (of equal ones, the first). */
export function withoutCovered(patterns: readonly string[]): string[] {
  const split = [...new Set(patterns)].map((p) => p.split('.'));
  return split.filter((p, i) => !split.some((q, j) => j !== i && covers(q, p))).map((p) => p.join('.'));
}

/** Whether every subject pattern `b` matches also matches pattern `a` (both as tokens). */
export function covers(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; ; i++) {
    if (i === a.length) return i === b.length;
    if (a[i] === '>') return i < b.length;
    if (i === b.length || b[i] === '>') return false;
    if (a[i] !== '*' && (b[i] === '*' || a[i] !== b[i])) return false;
  }
}
