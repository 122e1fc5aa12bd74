import { InsightsError } from './errors.ts';

/** One analytic as far as naming goes. `T` carries whatever the index's owner needs (host, nodes). */
export interface NamedEntry<T> {
  readonly kind: string;
  readonly module: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly target: T;
}

export type Resolution<T> = { readonly entry: NamedEntry<T> };

/**
 * Resolves analytic names the same way on nodes and in clients: `<module>.<name>` always works;
 * a bare name or alias works when exactly one module defines it; a collision is an error that
 * lists the qualified names, never a silent pick; an unknown name suggests near names.
 */
export class NameIndex<T> {
  readonly #byQualified = new Map<string, NamedEntry<T>>();
  readonly #byBare = new Map<string, NamedEntry<T>[]>();
  /** kind → name → entry for every name that resolves: the call path's one lookup, no key building. */
  readonly #resolvable = new Map<string, Map<string, NamedEntry<T>>>();

  constructor(entries: Iterable<NamedEntry<T>>) {
    for (const e of entries) {
      this.#byQualified.set(`${e.kind}:${e.module}.${e.name}`, e);
      for (const n of new Set([e.name, ...e.aliases])) {
        const key = `${e.kind}:${n}`;
        const list = this.#byBare.get(key);
        if (list === undefined) this.#byBare.set(key, [e]);
        else if (!list.some((x) => x.module === e.module && x.name === e.name)) list.push(e);
      }
    }
    const resolvable = (kind: string) => {
      let m = this.#resolvable.get(kind);
      if (m === undefined) this.#resolvable.set(kind, (m = new Map()));
      return m;
    };
    for (const [key, list] of this.#byBare)
      if (list.length === 1) resolvable(list[0]!.kind).set(key.slice(key.indexOf(':') + 1), list[0]!);
    // Qualified names win over a bare name that happens to look the same.
    for (const e of this.#byQualified.values()) resolvable(e.kind).set(`${e.module}.${e.name}`, e);
  }

  resolve(kind: string, name: string): NamedEntry<T> {
    const hit = this.#resolvable.get(kind)?.get(name);
    if (hit !== undefined) return hit;
    const qualified = this.#byQualified.get(`${kind}:${name}`);
    if (qualified !== undefined) return qualified;
    const bare = this.#byBare.get(`${kind}:${name}`);
    if (bare !== undefined && bare.length === 1 && bare[0] !== undefined) return bare[0];
    if (bare !== undefined && bare.length > 1) {
      const options = bare.map((e) => `${e.module}.${e.name}`);
      throw new InsightsError(
        'FAILED_PRECONDITION',
        `${kind} "${name}" is defined by several modules (${bare.map((e) => e.module).join(', ')}); call one of ${options.join(', ')}`,
        { suggestions: options },
      );
    }
    const suggestions = nearNames(name, this.names(kind));
    throw new InsightsError(
      'NOT_FOUND',
      `no ${kind} named "${name}"${suggestions.length > 0 ? `; did you mean ${suggestions.join(', ')}?` : ''}`,
      { suggestions },
    );
  }

  /** Every callable name of a kind: unique bare names and aliases, plus all qualified names. */
  names(kind: string): string[] {
    const out: string[] = [];
    const prefix = `${kind}:`;
    for (const [key, list] of this.#byBare) if (key.startsWith(prefix) && list.length === 1) out.push(key.slice(prefix.length));
    for (const key of this.#byQualified.keys()) if (key.startsWith(prefix)) out.push(key.slice(prefix.length));
    return [...new Set(out)].sort();
  }

  entries(): NamedEntry<T>[] {
    return [...this.#byQualified.values()];
  }
}

/** Up to three names within a small edit distance, closest first. */
export function nearNames(name: string, candidates: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  return candidates
    .map((c) => ({ c, d: c.includes(name) || name.includes(c) ? 1 : editDistance(name, c) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 3)
    .map((x) => x.c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
