/**
 * `Db` of the embedded engine: one directory per module database (`<root>/<module>/`) holding
 * its lock and one SQLite file. A directory in the journal format of earlier versions is
 * migrated the first time it is opened (see journal-migration.ts).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Collection, Db, Document } from '@insights/sdk';
import type { AggregateOffload } from './aggregate-offload.ts';
import { EmbeddedCollection, type StoreSource } from './embedded-collection.ts';
import { lockDirectory } from './embedded-lock.ts';
import { DbError } from './errors.ts';
import { migrateJournalDirectory } from './journal-migration.ts';
import { checkCollectionName } from './names.ts';
import { DB_FILE, DEFAULT_CACHE_SIZE_KIB, SqliteDatabase } from './sqlite-database.ts';
import { CollectionStore } from './sqlite-store.ts';

export interface EmbeddedDbOptions {
  /** Directory holding every module database (`<root>/<module>/db.sqlite`). */
  readonly root: string;
  readonly name: string;
  /** See DbProviderOptions.cacheSizeKiB. */
  readonly cacheSizeKiB?: number | undefined;
  /** See DbProviderOptions.syncIntervalMs. */
  readonly syncIntervalMs?: number | undefined;
  /** Runs the aggregations that hold their input off the node's thread (shared by the provider's databases). */
  readonly offload?: AggregateOffload | undefined;
}

interface Opened {
  readonly sqlite: SqliteDatabase;
  readonly release: () => Promise<void>;
}

export class EmbeddedDb implements Db, StoreSource {
  readonly databaseName: string;
  readonly #dir: string;
  readonly #options: EmbeddedDbOptions;
  #opened: Promise<Opened> | undefined;
  #closed = false;

  constructor(options: EmbeddedDbOptions) {
    this.databaseName = options.name;
    this.#dir = path.join(options.root, options.name);
    this.#options = options;
  }

  get offload(): AggregateOffload | undefined {
    return this.#options.offload;
  }

  /** The SQLite file (the aggregation worker opens it too). */
  get file(): string {
    return path.join(this.#dir, DB_FILE);
  }

  collection<T extends Document = Document>(name: string): Collection<T> {
    return new EmbeddedCollection<T>(this, checkCollectionName(name));
  }

  #open(): Promise<Opened> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#opened === undefined) {
      const attempt = (async (): Promise<Opened> => {
        await mkdir(this.#dir, { recursive: true });
        const release = await lockDirectory(this.#dir, this.databaseName);
        try {
          const sqlite = new SqliteDatabase({
            file: this.file,
            name: this.databaseName,
            cacheSizeKiB: this.#options.cacheSizeKiB ?? DEFAULT_CACHE_SIZE_KIB,
            syncEveryCommit: this.#options.syncIntervalMs === 0,
          });
          try {
            await migrateJournalDirectory(this.#dir, sqlite);
          } catch (err) {
            sqlite.close();
            throw err;
          }
          return { sqlite, release };
        } catch (err) {
          await release();
          throw err;
        }
      })();
      this.#opened = attempt;
      // A failed open (a damaged file, a held lock) is not cached: the next operation tries again.
      attempt.catch(() => {
        if (this.#opened === attempt) this.#opened = undefined;
      });
    }
    return this.#opened;
  }

  async store(name: string): Promise<CollectionStore> {
    const { sqlite } = await this.#open();
    if (this.#closed) throw this.#closedError();
    return new CollectionStore(sqlite, name);
  }

  #closedError(): DbError {
    return new DbError('DB_CLOSED', `Database ${this.databaseName} is closed.`);
  }

  async listCollections(): Promise<string[]> {
    return (await this.#open()).sqlite.collections();
  }

  async dropCollection(name: string): Promise<boolean> {
    checkCollectionName(name);
    const { sqlite } = await this.#open();
    const w = sqlite.batch.write(() => sqlite.dropTable(name));
    await w.durable;
    return w.result;
  }

  /** Commits pending writes and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opened = await this.#opened?.catch(() => undefined);
    this.#opened = undefined;
    if (opened === undefined) return;
    opened.sqlite.close();
    await opened.release();
  }
}
