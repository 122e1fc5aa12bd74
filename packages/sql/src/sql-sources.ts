/**
 * The node's SQL sources and who may use them. Every statement a module sends comes through
 * `run`: the grant is checked for the module the node knows it is running (never a name the module
 * supplies), the statement is checked as a read, and its rows are counted against the source's limits.
 */
import { InsightsError } from '@insights/sdk';
import type { SqlRequest } from '@insights/sdk/internal';
import type { SqlEngine, SqlParam, SqlRow } from './engine.ts';
import { RowBudget } from './limits.ts';
import { MysqlEngine } from './mysql-engine.ts';
import { PostgresEngine } from './postgres-engine.ts';
import { assertReadStatement } from './read-only-guard.ts';
import type { ResolvedSource } from './source-config.ts';

/** What a module asks for, as it crosses from module code (possibly a sandbox). */
export type { SqlRequest };

export const MAX_STATEMENT_CHARS = 64 * 1024;
const MAX_PARAMS = 1000;
const DEFAULT_BATCH_ROWS = 500;
const MAX_BATCH_ROWS = 10_000;

/** What Describe may say about a source: no address, no user, no password. */
export interface SqlSourceSummary {
  readonly name: string;
  readonly kind: 'mysql' | 'postgres';
  readonly modules: readonly string[];
}

export class SqlSources {
  readonly #sources = new Map<string, { readonly config: ResolvedSource; readonly engine: SqlEngine }>();

  constructor(sources: readonly ResolvedSource[]) {
    for (const s of sources) {
      const engine = s.kind === 'mysql' ? new MysqlEngine(s.name, s.connection) : new PostgresEngine(s.name, s.connection);
      this.#sources.set(s.name, { config: s, engine });
    }
  }

  get size(): number {
    return this.#sources.size;
  }

  summary(): SqlSourceSummary[] {
    return [...this.#sources.values()].map(({ config }) => ({
      name: config.name,
      kind: config.kind,
      modules: [...config.modules],
    }));
  }

  /** True if `module` was granted `source`. */
  granted(module: string, source: string): boolean {
    return this.#sources.get(source)?.config.modules.has(module) ?? false;
  }

  /**
   * Runs a module's statement and yields its rows in batches (one batch for `all`). Throws
   * PERMISSION_DENIED naming the source when the module was not granted it (an unknown source
   * reads the same, so a module cannot probe which sources exist).
   */
  async *run(module: string, r: SqlRequest): AsyncGenerator<SqlRow[], void, undefined> {
    const entry = this.#sources.get(r.source);
    if (entry === undefined || !entry.config.modules.has(module))
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${module}" may not use sql source "${r.source}": the node's config must grant it (sql.sources.${r.source}.modules)`,
      );
    const { config, engine } = entry;
    checkStatement(r);
    assertReadStatement(config.name, r.text);
    const limits = config.limits;
    const batchRows = Math.min(MAX_BATCH_ROWS, Math.max(1, r.batchRows ?? DEFAULT_BATCH_ROWS));
    const stream = r.mode === 'stream';
    const budget = stream
      ? new RowBudget(config.name, limits.maxStreamedRows, limits.maxBytes, 'maxStreamedRows')
      : new RowBudget(config.name, limits.maxRows, limits.maxBytes, 'maxRows');
    const all: SqlRow[] = [];
    const batches = engine.batches(
      { text: r.text, params: r.params as SqlParam[], deadline: r.deadline, signal: r.signal, batchRows },
      limits,
    );
    for await (const batch of batches) {
      for (const row of batch) budget.take(row);
      if (stream) {
        yield batch;
        budget.nextBatch();
      } else for (const row of batch) all.push(row);
    }
    if (!stream) yield all;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#sources.values()].map(({ engine }) => engine.close()));
  }
}

function checkStatement(r: SqlRequest): void {
  if (typeof r.text !== 'string' || r.text.trim() === '')
    throw new InsightsError('INVALID_ARGUMENT', 'a sql statement must be a non-empty string', { parameter: 'sql' });
  if (r.text.length > MAX_STATEMENT_CHARS)
    throw new InsightsError('INVALID_ARGUMENT', `a sql statement may be at most ${MAX_STATEMENT_CHARS} characters`, {
      parameter: 'sql',
    });
  if (!Array.isArray(r.params) || r.params.length > MAX_PARAMS)
    throw new InsightsError('INVALID_ARGUMENT', `sql parameters must be an array of at most ${MAX_PARAMS} values`, {
      parameter: 'params',
    });
  r.params.forEach((p, i) => {
    const t = typeof p;
    if (p !== null && t !== 'string' && t !== 'number' && t !== 'boolean')
      throw new InsightsError('INVALID_ARGUMENT', `sql parameter ${i + 1} must be a string, number, boolean or null, not ${t}`, {
        parameter: `params[${i}]`,
      });
    if (t === 'number' && !Number.isFinite(p))
      throw new InsightsError('INVALID_ARGUMENT', `sql parameter ${i + 1} must be a finite number`, {
        parameter: `params[${i}]`,
      });
  });
}
