/**
 * Event-type patterns in NATS subject style: tokens separated by dots, `*` matches one token,
 * `>` (last) matches one or more. `edx.forum.*.created` matches `edx.forum.thread.created`.
 */
export function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '>' || pattern === type) return true;
  const p = pattern.split('.');
  const t = type.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return i === p.length - 1 && t.length > i;
    if (i >= t.length) return false;
    if (tok !== '*' && tok !== t[i]) return false;
  }
  return p.length === t.length;
}

export function anyTypeMatches(patterns: readonly string[] | undefined, type: string): boolean {
  return patterns === undefined || patterns.length === 0 || patterns.some((p) => typeMatches(p, type));
}
