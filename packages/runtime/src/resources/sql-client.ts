/**
 * `ctx.sql(source)`: a module's view of the read replicas the node runs for it. The statement
 * goes to the node's gateway under the module's own name (the runtime's, never one the module
 * gives), with the call's deadline and cancellation.
 */
import { InsightsError, type SqlClient, type SqlParam, type SqlRow, type SqlRowsOptions } from '@insights/sdk';
import type { SqlRequest } from '@insights/sdk/internal';

/** A statement on its way to the node's SQL sources (one shape for every hop). */
export type SqlGatewayRequest = SqlRequest;

/** Where statements run: the node's SQL sources, or (inside a sandbox) the channel to them. */
export interface SqlGateway {
  run(module: string, request: SqlGatewayRequest): AsyncIterable<SqlRow[]>;
}

export class ModuleSqlClient implements SqlClient {
  constructor(
    private readonly gateway: SqlGateway | undefined,
    private readonly module: string,
    private readonly source: string,
    private readonly deadline: number,
    private readonly signal: () => AbortSignal,
  ) {}

  async query<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    const out: SqlRow[] = [];
    for await (const batch of this.#run(sql, params, 'all', undefined)) for (const row of batch) out.push(row);
    return out as T[];
  }

  async *rows<T extends SqlRow = SqlRow>(
    sql: string,
    params: readonly SqlParam[] = [],
    options: SqlRowsOptions = {},
  ): AsyncIterable<T> {
    for await (const batch of this.#run(sql, params, 'stream', options.batchRows)) yield* batch as T[];
  }

  #run(
    text: string,
    params: readonly SqlParam[],
    mode: 'all' | 'stream',
    batchRows: number | undefined,
  ): AsyncIterable<SqlRow[]> {
    if (this.gateway === undefined)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${this.module}" may not use sql source "${this.source}": this node has no sql sources (the node's config grants them: sql.sources)`,
      );
    return this.gateway.run(this.module, {
      source: this.source,
      text,
      params,
      mode,
      batchRows,
      deadline: this.deadline,
      signal: this.signal(),
    });
  }
}
