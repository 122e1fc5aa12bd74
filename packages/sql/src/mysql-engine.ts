/**
 * MySQL and MariaDB through mysql2: a pool per source whose sessions are read-only
 * (`SET SESSION TRANSACTION READ ONLY`, so even autocommit statements cannot write); each statement
 * in `START TRANSACTION READ ONLY` with the server's statement timeout (MariaDB's
 * `max_statement_time`, MySQL's `max_execution_time`), streamed with backpressure, and stopped
 * with `KILL QUERY` when its caller goes away.
 */
import mysql from 'mysql2';
import type { SqlConnection } from './connection.ts';
import { jsonRow, statementBudgetMs, type SqlEngine, type SqlRow, type SqlStatement } from './engine.ts';
import type { SqlLimits } from './limits.ts';
import { sqlError } from './sql-errors.ts';
import { StatementWatchdog } from './watchdog.ts';

type Flavour = 'mariadb' | 'mysql';

export class MysqlEngine implements SqlEngine {
  readonly kind = 'mysql';
  readonly #pool: mysql.Pool;
  readonly #options: mysql.ConnectionOptions;
  #flavour: Promise<Flavour> | undefined;

  constructor(
    private readonly source: string,
    c: SqlConnection,
  ) {
    this.#options = {
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      database: c.database,
      dateStrings: true,
      // 64-bit integers (COUNT(*), BIGINT ids) as numbers while exact, as strings beyond 2^53.
      supportBigNumbers: true,
      bigNumberStrings: false,
      multipleStatements: false,
      connectTimeout: 5000,
      timezone: 'Z',
    };
    this.#pool = mysql.createPool({ ...this.#options, connectionLimit: c.poolSize, waitForConnections: true });
    this.#pool.on('connection', (conn) => {
      conn.on('error', () => undefined);
      conn.query('SET SESSION TRANSACTION READ ONLY');
    });
  }

  async *batches(s: SqlStatement, limits: SqlLimits): AsyncGenerator<SqlRow[], void, undefined> {
    const budget = statementBudgetMs(s, limits);
    const conn = await this.#connection();
    let clean = false;
    const watchdog = new StatementWatchdog(this.source, budget, s.signal, () => void this.#kill(conn.threadId));
    try {
      const flavour = await this.#flavourOf(conn);
      await run(
        conn,
        flavour === 'mariadb'
          ? `SET SESSION max_statement_time = ${(budget / 1000).toFixed(3)}`
          : `SET SESSION max_execution_time = ${Math.ceil(budget)}`,
      );
      await run(conn, 'START TRANSACTION READ ONLY');
      const stream = conn.query({ sql: s.text, values: [...s.params] }).stream({ highWaterMark: s.batchRows });
      let batch: SqlRow[] = [];
      try {
        for await (const row of stream as AsyncIterable<Record<string, unknown>>) {
          batch.push(jsonRow(row));
          if (batch.length >= s.batchRows) {
            if (watchdog.reason !== undefined) throw watchdog.reason;
            yield batch;
            batch = [];
          }
        }
      } finally {
        stream.destroy();
      }
      if (watchdog.reason !== undefined) throw watchdog.reason;
      if (batch.length > 0) yield batch;
      await run(conn, 'COMMIT');
      clean = true;
    } catch (e) {
      throw watchdog.reason ?? sqlError(this.source, e);
    } finally {
      watchdog.stop();
      // Stopped mid-result, the connection still has rows coming: it cannot be reused.
      if (clean) conn.release();
      else conn.destroy();
    }
  }

  #connection(): Promise<mysql.PoolConnection> {
    return new Promise((resolve, reject) =>
      this.#pool.getConnection((err, conn) => (err ? reject(sqlError(this.source, err)) : resolve(conn))),
    );
  }

  #flavourOf(conn: mysql.PoolConnection): Promise<Flavour> {
    this.#flavour ??= new Promise<Flavour>((resolve, reject) =>
      conn.query('SELECT VERSION() AS v', (err, rows) => {
        if (err) return reject(err);
        const v = String((rows as { v?: unknown }[])[0]?.v ?? '');
        resolve(/mariadb/i.test(v) ? 'mariadb' : 'mysql');
      }),
    ).catch((e: unknown) => {
      this.#flavour = undefined;
      throw e;
    });
    return this.#flavour;
  }

  /** Stops a running statement from a connection of its own (the pool may be exhausted). */
  #kill(threadId: number | null): void {
    if (threadId === null) return;
    const c = mysql.createConnection(this.#options);
    c.on('error', () => undefined);
    c.query(`KILL QUERY ${Number(threadId)}`, () => c.end());
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#pool.end(() => resolve()));
  }
}

function run(conn: mysql.PoolConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => conn.query(sql, (err) => (err ? reject(err) : resolve())));
}
