import { randomBytes } from 'node:crypto';
import { isViewResult, type ViewResult } from '@insights/sdk';
import { asTable, type Table } from './csv.ts';

/** What a call returned: a view, or a query's JSON value. */
export type Outcome = ViewResult | { readonly type: 'json'; readonly value: unknown };

export interface StoredResult {
  readonly id: string;
  /** The principal key it belongs to: nobody else may fetch it. */
  readonly owner: string;
  readonly analytic: string;
  readonly outcome: Outcome;
  readonly createdAt: number;
}

const DEFAULT_TTL_MS = 30 * 60_000;
const DEFAULT_MAX_RESULTS = 200;

/**
 * Recent results, so the sandboxed frame and the CSV download fetch what was just computed
 * instead of running a slow view again. Ids are unguessable and owner-checked; old results go
 * first when the store is full.
 */
export class ResultStore {
  readonly #results = new Map<string, StoredResult>();

  constructor(
    private readonly ttlMs = DEFAULT_TTL_MS,
    private readonly max = DEFAULT_MAX_RESULTS,
  ) {}

  put(owner: string, analytic: string, outcome: Outcome): StoredResult {
    const r: StoredResult = { id: randomBytes(18).toString('base64url'), owner, analytic, outcome, createdAt: Date.now() };
    this.#results.set(r.id, r);
    this.#trim();
    return r;
  }

  get(id: string, owner: string): StoredResult | undefined {
    const r = this.#results.get(id);
    if (r === undefined || r.owner !== owner) return undefined;
    if (Date.now() - r.createdAt > this.ttlMs) {
      this.#results.delete(id);
      return undefined;
    }
    return r;
  }

  #trim(): void {
    const now = Date.now();
    for (const [id, r] of this.#results)
      if (this.#results.size > this.max || now - r.createdAt > this.ttlMs) this.#results.delete(id);
  }
}

/** The outcome of a call as returned by the proxy: views are ViewResults, queries plain values. */
export function toOutcome(kind: 'query' | 'view', value: unknown): Outcome {
  if (kind === 'view' && isViewResult(value)) return value;
  if (kind === 'view' && typeof value === 'string') return { type: 'html', html: value };
  return { type: 'json', value };
}

/** The table a result can be downloaded as, if any. */
export function tableOf(o: Outcome): Table | undefined {
  if (o.type === 'table') return o;
  if (o.type === 'json') return asTable(o.value);
  return undefined;
}
