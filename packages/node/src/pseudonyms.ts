import { createHmac } from 'node:crypto';
import { InsightsError } from '@insights/sdk';
import type { CallOutcome } from '@insights/wire';

/** Marks a pseudonym, so a value already pseudonymised (a result from another node) is left as it is. */
const PREFIX = 'pn1.';
/** Pseudonyms handed out that this node can map back when a researcher passes one as a parameter. */
const MAX_REMEMBERED = 100_000;

/**
 * Keyed pseudonyms of one research project: the same learner id always gives the same pseudonym
 * (HMAC-SHA256 with the project's key), another project's key gives another, and without the key
 * a pseudonym cannot be traced back by trying ids. Fields are matched by name (`learner`, `user`,
 * ...) at any depth of a JSON result or as table columns; identifiers inside free text are not
 * found, so views that return HTML, SVG, PNG or charts are refused to a pseudonymised caller.
 */
export class Pseudonyms {
  readonly #fields: ReadonlySet<string>;
  readonly #known = new Map<string, string>();

  constructor(
    private readonly key: string,
    fields: readonly string[],
  ) {
    this.#fields = new Set(fields);
  }

  of(id: string): string {
    if (id.startsWith(PREFIX)) return id;
    const p = `${PREFIX}${createHmac('sha256', this.key).update(id).digest('base64url').slice(0, 22)}`;
    if (!this.#known.has(p)) {
      if (this.#known.size >= MAX_REMEMBERED) this.#known.delete(this.#known.keys().next().value as string);
      this.#known.set(p, id);
    }
    return p;
  }

  /** A researcher's arguments: pseudonyms in learner fields become the ids they stand for. */
  args(args: unknown): unknown {
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return args;
    const out: Record<string, unknown> = { ...(args as Record<string, unknown>) };
    for (const [k, v] of Object.entries(out))
      if (this.#fields.has(k) && typeof v === 'string' && v.startsWith(PREFIX)) {
        const id = this.#known.get(v);
        if (id === undefined)
          throw new InsightsError('INVALID_ARGUMENT', `${k}: unknown pseudonym (use one from a result of this mesh)`, {
            parameter: k,
          });
        out[k] = id;
      }
    return out;
  }

  /** What a pseudonymised caller sees of a result. */
  result(o: CallOutcome, analytic: string): CallOutcome {
    if (o.type === 'json') return { type: 'json', value: this.#walk(o.value) };
    if (o.type === 'table') {
      const learner = o.columns.map((c) => this.#fields.has(c));
      return { ...o, rows: o.rows.map((r) => r.map((cell, i) => (learner[i] && cell !== null ? this.of(String(cell)) : cell))) };
    }
    throw new InsightsError(
      'PERMISSION_DENIED',
      `${analytic} returns a ${o.type} view, which cannot be pseudonymised; your access is pseudonymised (use its query or a table view)`,
      { analytic },
    );
  }

  #walk(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.#walk(x));
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] = this.#fields.has(k) && (typeof x === 'string' || typeof x === 'number') ? this.of(String(x)) : this.#walk(x);
    return out;
  }
}
