/**
 * Group commit for one SQLite connection: writes issued in the same turn of the event loop share
 * one transaction, committed on the next turn; each write's promise resolves when that commit is
 * done. A handler that makes many updates in one turn therefore costs one commit. Each write runs
 * in its own savepoint, so one failing write (a duplicate key) undoes only itself.
 */
import type { Database } from 'better-sqlite3';
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

export class WriteBatch {
  readonly #db: Database;
  readonly #name: string;
  #open: Pending | undefined;

  constructor(db: Database, name: string) {
    this.#db = db;
    this.#name = name;
  }

  /** Runs `fn` inside the open transaction (its own savepoint); returns its result and the commit. */
  write<R>(fn: () => R): { result: R; durable: Promise<void> } {
    const batch = this.#begin();
    const result = this.#db.transaction(fn)();
    return { result, durable: batch.done };
  }

  #begin(): Pending {
    if (this.#open === undefined) {
      this.#db.exec('BEGIN');
      const p = pending();
      this.#open = p;
      setImmediate(() => this.commit());
    }
    return this.#open;
  }

  /** Commits the open transaction now (also called before close). */
  commit(): void {
    const p = this.#open;
    if (p === undefined) return;
    this.#open = undefined;
    try {
      this.#db.exec('COMMIT');
      p.resolve();
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      p.reject(new DbError('DB_IO_ERROR', `Commit to database ${this.#name} failed: ${messageOf(err)}`, { cause: err }));
    }
  }
}
