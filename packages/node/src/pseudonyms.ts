import { InsightsError } from '@insights/sdk';
import type { CallOutcome } from '@insights/wire';
import { PseudonymCipher } from './pseudonym-cipher.ts';

/** Marks a pseudonym, so a value already pseudonymised (a result from another node) is left as it is. */
const PREFIX = 'pn1.';

/**
 * Keyed pseudonyms of one research project: the same learner id always gives the same pseudonym
 * (deterministic encryption with the project's key, pseudonym-cipher.ts), on every node with the
 * key and after restarts, and another project's key gives another; without the key a pseudonym
 * can be neither traced back nor made up. Fields are matched by name (the node's list plus what
 * the serving module declares, `learnerFields`) at any depth of a JSON result or as table
 * columns; identifiers inside free text are not found, so views that return HTML, SVG, PNG or
 * charts are refused to a pseudonymised caller.
 */
export class Pseudonyms {
  readonly #fields: ReadonlySet<string>;
  readonly #cipher: PseudonymCipher;

  constructor(key: string, fields: readonly string[]) {
    this.#cipher = new PseudonymCipher(key);
    this.#fields = new Set(fields);
  }

  of(id: string): string {
    if (id.startsWith(PREFIX)) return id;
    return `${PREFIX}${this.#cipher.seal(id).toString('base64url')}`;
  }

  /** The learner id behind a pseudonym of this project, or undefined. */
  idOf(pseudonym: string): string | undefined {
    if (!pseudonym.startsWith(PREFIX)) return undefined;
    return this.#cipher.open(Buffer.from(pseudonym.slice(PREFIX.length), 'base64url'));
  }

  /** A researcher's arguments: pseudonyms in learner fields (`declared`: the module's own) become the ids they stand for. */
  args(args: unknown, declared: readonly string[] = []): unknown {
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return args;
    const out: Record<string, unknown> = { ...(args as Record<string, unknown>) };
    for (const [k, v] of Object.entries(out))
      if (this.#isLearnerField(k, declared) && typeof v === 'string' && v.startsWith(PREFIX)) {
        const id = this.idOf(v);
        if (id === undefined)
          throw new InsightsError('INVALID_ARGUMENT', `${k}: unknown pseudonym (use one from a result of this project)`, {
            parameter: k,
          });
        out[k] = id;
      }
    return out;
  }

  /** What a pseudonymised caller sees of a result; `declared`: the serving module's learner fields. */
  result(o: CallOutcome, analytic: string, declared: readonly string[] = []): CallOutcome {
    if (o.type === 'json') return { type: 'json', value: this.#walk(o.value, declared) };
    if (o.type === 'table') {
      const learner = o.columns.map((c) => this.#isLearnerField(c, declared));
      return { ...o, rows: o.rows.map((r) => r.map((cell, i) => (learner[i] && cell !== null ? this.of(String(cell)) : cell))) };
    }
    throw new InsightsError(
      'PERMISSION_DENIED',
      `${analytic} returns a ${o.type} view, which cannot be pseudonymised; your access is pseudonymised (use its query or a table view)`,
      { analytic },
    );
  }

  #isLearnerField(name: string, declared: readonly string[]): boolean {
    return this.#fields.has(name) || declared.includes(name);
  }

  #walk(v: unknown, declared: readonly string[]): unknown {
    if (Array.isArray(v)) return v.map((x) => this.#walk(x, declared));
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] =
        this.#isLearnerField(k, declared) && (typeof x === 'string' || typeof x === 'number')
          ? this.of(String(x))
          : this.#walk(x, declared);
    return out;
  }
}
