/**
 * PostgreSQL through node-postgres: a pool per source; each statement in `BEGIN READ ONLY` with
 * `SET LOCAL statement_timeout`, read through a server-side cursor (pg-cursor) in batches, and
 * cancelled with `pg_cancel_backend` when its caller goes away.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { SqlConnection } from './connection.ts';
import { jsonRow, statementBudgetMs, type SqlEngine, type SqlRow, type SqlStatement } from './engine.ts';
import type { SqlLimits } from './limits.ts';
import { sqlError } from './sql-errors.ts';
import { StatementWatchdog } from './watchdog.ts';

export class PostgresEngine implements SqlEngine {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #config: pg.PoolConfig;

  constructor(
    private readonly source: string,
    c: SqlConnection,
  ) {
    this.#config = {
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      database: c.database,
      application_name: 'insights-node',
      connectionTimeoutMillis: 5000,
    };
    this.#pool = new pg.Pool({ ...this.#config, max: c.poolSize, idleTimeoutMillis: 30_000 });
    // An idle connection the server drops must not take the node down.
    this.#pool.on('error', () => undefined);
  }

  async *batches(s: SqlStatement, limits: SqlLimits): AsyncGenerator<SqlRow[], void, undefined> {
    const budget = statementBudgetMs(s, limits);
    const client = await this.#pool.connect().catch((e: unknown) => {
      throw sqlError(this.source, e);
    });
    let clean = false;
    const watchdog = new StatementWatchdog(this.source, budget, s.signal, () => void this.#cancel(client.processID));
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.ceil(budget)}`);
      const cursor = client.query(new Cursor<SqlRow>(s.text, [...s.params]));
      for (;;) {
        const rows = await cursor.read(s.batchRows);
        if (watchdog.reason !== undefined) throw watchdog.reason;
        if (rows.length === 0) break;
        yield rows.map(jsonRow);
      }
      await cursor.close();
      await client.query('COMMIT');
      clean = true;
    } catch (e) {
      throw watchdog.reason ?? sqlError(this.source, e);
    } finally {
      watchdog.stop();
      // A reader that stopped early leaves a transaction and a cursor open: drop the connection.
      client.release(clean ? undefined : true);
    }
  }

  /** Cancels a running statement from a connection of its own (the pool may be exhausted). */
  async #cancel(pid: number | undefined): Promise<void> {
    if (pid === undefined) return;
    const c = new pg.Client(this.#config);
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // the statement timeout still ends it on the server
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

// pg's Client has processID at run time; its types omit it.
declare module 'pg' {
  interface PoolClient {
    readonly processID?: number;
  }
}
