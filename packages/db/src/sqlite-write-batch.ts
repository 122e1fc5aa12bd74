/**
 * Group commit for one SQLite connection: writes issued in the same turn of the event loop share
 * one transaction, committed on the next turn; each write's promise resolves when that commit is
 * done. A handler that makes many updates in one turn therefore costs one commit. Each write runs
 * in its own savepoint, so one failing write (a duplicate key) undoes only itself.
 */
import type { Database, Statement } from 'better-sqlite3';
import { DbError, messageOf } from './errors.ts';

interface Pending {
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function pending(): Pending {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch may fail with nobody awaiting a particular write's promise yet.
  done.catch(() => undefined);
  return { done, resolve, reject };
}

/** Prepared once: `db.transaction(fn)` would build four wrapper functions for every write. */
interface Statements {
  readonly begin: Statement;
  readonly commit: Statement;
  readonly savepoint: Statement;
  readonly release: Statement;
  readonly rollbackTo: Statement;
}

export class WriteBatch {
  readonly #db: Database;
  readonly #name: string;
  readonly #sql: Statements;
  #open: Pending | undefined;

  constructor(db: Database, name: string) {
    this.#db = db;
    this.#name = name;
    this.#sql = {
      begin: db.prepare('BEGIN'),
      commit: db.prepare('COMMIT'),
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollbackTo: db.prepare('ROLLBACK TO write'),
    };
  }

  /** Runs `fn` inside the open transaction (its own savepoint); returns its result and the commit. */
  write<R>(fn: () => R): { result: R; durable: Promise<void> } {
    const batch = this.#begin();
    const sql = this.#sql;
    sql.savepoint.run();
    try {
      const result = fn();
      sql.release.run();
      return { result, durable: batch.done };
    } catch (err) {
      // SQLite may have rolled the whole transaction back itself (an I/O error): the commit reports that.
      if (this.#db.inTransaction) {
        sql.rollbackTo.run();
        sql.release.run();
      }
      throw err;
    }
  }

  #begin(): Pending {
    if (this.#open === undefined) {
      this.#sql.begin.run();
      const p = pending();
      this.#open = p;
      setImmediate(() => this.commit());
    }
    return this.#open;
  }

  /** Resolves once the writes issued so far are committed (or failed: their own promises say so). */
  settled(): Promise<void> {
    return this.#open === undefined ? Promise.resolve() : this.#open.done.catch(() => undefined);
  }

  /** Commits the open transaction now (also called before close). */
  commit(): void {
    const p = this.#open;
    if (p === undefined) return;
    this.#open = undefined;
    try {
      this.#sql.commit.run();
      p.resolve();
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      p.reject(new DbError('DB_IO_ERROR', `Commit to database ${this.#name} failed: ${messageOf(err)}`, { cause: err }));
    }
  }
}
