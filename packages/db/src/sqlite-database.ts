/**
 * One module database: one SQLite file (`<dir>/<module>/db.sqlite`) in WAL mode, with a bounded
 * page cache, a table per collection (`id TEXT PRIMARY KEY, doc TEXT` holding JSON) and the
 * indexes modules declared as expression indexes. The connection is synchronous (better-sqlite3):
 * an operation runs whole before the next starts, and writes share group commits (WriteBatch).
 */
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { DbError, messageOf } from './errors.ts';
import type { IndexDef } from './embedded-index.ts';
import { COLLECTION_TABLE_PREFIX, createIndexSql, tableOf } from './sqlite-sql.ts';
import { WriteBatch } from './sqlite-write-batch.ts';

export const DB_FILE = 'db.sqlite';
/** SQLite page cache per module database, in KiB (the engine's memory bound besides one query's rows). */
export const DEFAULT_CACHE_SIZE_KIB = 4 * 1024;

export interface SqliteOptions {
  readonly file: string;
  readonly name: string;
  readonly cacheSizeKiB: number;
  /** true: fsync at every commit (survives power loss); false: WAL with synchronous=NORMAL. */
  readonly syncEveryCommit: boolean;
}

export interface StoredIndex {
  readonly def: IndexDef;
  readonly sqlName: string;
  plain: boolean;
}

interface IndexRow {
  coll: string;
  sql_name: string;
  def: string;
  plain: number;
}

export class SqliteDatabase {
  readonly name: string;
  readonly db: Database;
  readonly batch: WriteBatch;
  readonly #statements = new Map<string, Statement>();
  /** Collection -> its indexes besides `_id`, by name. */
  readonly #indexes = new Map<string, Map<string, StoredIndex>>();
  readonly #tables = new Set<string>();

  constructor(options: SqliteOptions) {
    this.name = options.name;
    try {
      this.db = new BetterSqlite3(options.file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.syncEveryCommit ? 'FULL' : 'NORMAL'}`);
      this.db.pragma(`cache_size = ${-Math.floor(options.cacheSizeKiB)}`);
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS indexes_meta (sql_name TEXT PRIMARY KEY, coll TEXT NOT NULL, ' +
          'name TEXT NOT NULL, def TEXT NOT NULL, plain INTEGER NOT NULL, UNIQUE (coll, name))',
      );
    } catch (err) {
      throw new DbError('DB_IO_ERROR', `Cannot open database ${options.name} (${options.file}): ${messageOf(err)}`, {
        file: options.file,
        cause: err,
      });
    }
    this.batch = new WriteBatch(this.db, options.name);
    const tables = this.db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '${COLLECTION_TABLE_PREFIX}%'`)
      .pluck()
      .all() as string[];
    for (const t of tables) this.#tables.add(t.slice(COLLECTION_TABLE_PREFIX.length));
    for (const row of this.db.prepare('SELECT coll, sql_name, def, plain FROM indexes_meta').all() as IndexRow[]) {
      this.indexesOf(row.coll).set((JSON.parse(row.def) as IndexDef).name, {
        def: JSON.parse(row.def) as IndexDef,
        sqlName: row.sql_name,
        plain: row.plain === 1,
      });
    }
  }

  /** A prepared statement, cached by its text. */
  stmt(sql: string): Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  hasTable(collection: string): boolean {
    return this.#tables.has(collection);
  }

  collections(): string[] {
    return [...this.#tables].sort();
  }

  indexesOf(collection: string): Map<string, StoredIndex> {
    let m = this.#indexes.get(collection);
    if (m === undefined) this.#indexes.set(collection, (m = new Map()));
    return m;
  }

  /** Creates the collection's table (inside the caller's write). */
  ensureTable(collection: string): void {
    if (this.#tables.has(collection)) return;
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${tableOf(collection)} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
    this.#tables.add(collection);
  }

  /** Adds an index (inside the caller's write): SQL index plus its metadata. */
  addIndex(collection: string, def: IndexDef, plain: boolean): StoredIndex {
    const n = (this.db.prepare('SELECT count(*) FROM indexes_meta').pluck().get() as number) + 1;
    let sqlName = `ix_${n}`;
    while (this.db.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(sqlName) !== undefined) sqlName += '_';
    this.db.exec(createIndexSql(sqlName, collection, def));
    this.db
      .prepare('INSERT INTO indexes_meta (sql_name, coll, name, def, plain) VALUES (?, ?, ?, ?, ?)')
      .run(sqlName, collection, def.name, JSON.stringify(def), plain ? 1 : 0);
    const stored: StoredIndex = { def, sqlName, plain };
    this.indexesOf(collection).set(def.name, stored);
    this.#statements.clear();
    return stored;
  }

  /** Marks an index as holding values SQLite cannot order like MongoDB (inside a write). */
  markNotPlain(index: StoredIndex): void {
    index.plain = false;
    this.stmt('UPDATE indexes_meta SET plain = 0 WHERE sql_name = ?').run(index.sqlName);
  }

  dropIndex(collection: string, name: string): void {
    const index = this.indexesOf(collection).get(name);
    if (index === undefined) return;
    this.db.exec(`DROP INDEX IF EXISTS "${index.sqlName}"`);
    this.db.prepare('DELETE FROM indexes_meta WHERE sql_name = ?').run(index.sqlName);
    this.indexesOf(collection).delete(name);
    this.#statements.clear();
  }

  dropTable(collection: string): boolean {
    const existed = this.#tables.delete(collection);
    this.db.exec(`DROP TABLE IF EXISTS ${tableOf(collection)}`);
    this.db.prepare('DELETE FROM indexes_meta WHERE coll = ?').run(collection);
    this.#indexes.delete(collection);
    this.#statements.clear();
    return existed;
  }

  close(): void {
    this.batch.commit();
    this.#statements.clear();
    this.db.close();
  }
}
