/**
 * One collection of the embedded engine: its table and indexes in the module's SQLite file.
 * Reads come back as fresh documents (parsed from JSON), a page at a time, so no operation holds
 * the collection in memory; writes run in the database's group commit and return its promise.
 */
import type { Document } from '@insights/sdk';
import { decodeValue, encodeDocument, keyOf, keyText, type Encoded } from './codec.ts';
import { valuesAtPath } from './doc-path.ts';
import type { IndexDef } from './embedded-index.ts';
import { DbError, messageOf } from './errors.ts';
import { newObjectIdHex } from './object-id.ts';
import type { SqliteDatabase, StoredIndex } from './sqlite-database.ts';
import { planQuery, type SqlPlan } from './sqlite-planner.ts';
import { duplicateKeysSql, nullKeyConflictSql, tableOf } from './sqlite-sql.ts';
import type { Sort } from '@insights/sdk';

export const ID_INDEX = '_id_';
/** Rows read from SQLite per step of a scan. */
export const PAGE_ROWS = 256;

export interface Write<R = void> {
  readonly result: R;
  readonly durable: Promise<void>;
}

interface Row {
  r: number;
  k?: unknown;
  doc: string;
}

/** True when the value at `field` is one SQLite orders like MongoDB (missing, null, string, finite number). */
function plainAt(doc: Document, field: string): boolean {
  let v: unknown = doc;
  for (const part of field.split('.')) {
    if (Array.isArray(v)) return false;
    if (typeof v !== 'object' || v === null || v instanceof Date) return true; // missing below a scalar
    v = (v as Document)[part];
  }
  return v === undefined || v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Index fields with a numeric part (`a.0`) mean "element 0" to MongoDB and a key to SQLite's JSON path. */
function pathsArePlain(def: IndexDef): boolean {
  return def.fields.every((f) => f.split('.').every((p) => !/^\d+$/.test(p)));
}

export class CollectionStore {
  readonly ns: string;
  readonly name: string;
  readonly #db: SqliteDatabase;
  readonly #table: string;

  constructor(db: SqliteDatabase, name: string) {
    this.#db = db;
    this.name = name;
    this.ns = `${db.name}.${name}`;
    this.#table = tableOf(name);
  }

  get exists(): boolean {
    return this.#db.hasTable(this.name);
  }

  /** Resolves once the database's writes issued so far are committed (another connection then sees them). */
  flushed(): Promise<void> {
    return this.#db.batch.settled();
  }

  get indexes(): Map<string, StoredIndex> {
    return this.#db.indexesOf(this.name);
  }

  count(): number {
    if (!this.exists) return 0;
    return this.#db.stmt(`SELECT count(*) FROM ${this.#table}`).pluck().get() as number;
  }

  get(id: string): Document | undefined {
    if (!this.exists) return undefined;
    const json = this.#db.stmt(`SELECT doc FROM ${this.#table} WHERE id = ?`).pluck().get(id) as string | undefined;
    return json === undefined ? undefined : (decodeValue(json) as Document);
  }

  plan(filter: Document, sort?: Sort): SqlPlan {
    return planQuery(filter, sort, [...this.indexes.values()]);
  }

  /**
   * Rows of a plan, a page at a time, in rowid order, or in the plan's key order (then rowid), or
   * in the pushed-down sort order. Pages are read whole, so writes may run between them.
   */
  *pages(plan: SqlPlan): Generator<Document[]> {
    if (!this.exists) return;
    const base = plan.where.length > 0 ? plan.where.join(' AND ') : '1';
    if (plan.sortSql === undefined && plan.idCount !== undefined && plan.idCount <= PAGE_ROWS) {
      // At most a page of rows: read at once and put in rowid order here. ORDER BY rowid made
      // SQLite build a sorter, ~25 µs even for two rows.
      const rows = this.#db.stmt(`SELECT rowid AS r, doc FROM ${this.#table} WHERE ${base}`).all(...plan.params) as Row[];
      if (rows.length > 1) rows.sort((x, y) => x.r - y.r);
      if (rows.length > 0) yield rows.map((row) => decodeValue(row.doc) as Document);
      return;
    }
    if (plan.sortSql !== undefined) {
      const sql = `SELECT rowid AS r, doc FROM ${this.#table} WHERE ${base} ORDER BY ${plan.sortSql} LIMIT ${PAGE_ROWS} OFFSET ?`;
      for (let offset = 0; ; offset += PAGE_ROWS) {
        const rows = this.#db.stmt(sql).all(...plan.params, offset) as Row[];
        if (rows.length > 0) yield rows.map((row) => decodeValue(row.doc) as Document);
        if (rows.length < PAGE_ROWS) return;
      }
    }
    if (plan.orderKey !== undefined) {
      const first = `SELECT rowid AS r, ${plan.orderKey} AS k, doc FROM ${this.#table} WHERE ${base}`;
      const next = `${first} AND (${plan.orderKey}, rowid) > (?, ?)`;
      const order = ` ORDER BY ${plan.orderKey}, rowid LIMIT ${PAGE_ROWS}`;
      let last: Row | undefined;
      for (;;) {
        const rows = (
          last === undefined
            ? this.#db.stmt(first + order).all(...plan.params)
            : this.#db.stmt(next + order).all(...plan.params, last.k, last.r)
        ) as Row[];
        if (rows.length > 0) yield rows.map((row) => decodeValue(row.doc) as Document);
        if (rows.length < PAGE_ROWS) return;
        last = rows[rows.length - 1];
      }
    }
    const sql = `SELECT rowid AS r, doc FROM ${this.#table} WHERE ${base} AND rowid > ? ORDER BY rowid LIMIT ${PAGE_ROWS}`;
    for (let after = 0; ;) {
      const rows = this.#db.stmt(sql).all(...plan.params, after) as Row[];
      if (rows.length > 0) yield rows.map((row) => decodeValue(row.doc) as Document);
      if (rows.length < PAGE_ROWS) return;
      after = (rows[rows.length - 1] as Row).r;
    }
  }

  /** Inserts a document (generating `_id` when absent); returns the stored form. */
  insert(input: Document): Write<Document> {
    let withId = input;
    if (input['_id'] === undefined) {
      const { _id, ...rest } = input;
      withId = { _id: newObjectIdHex(), ...rest };
    }
    if (Array.isArray(withId['_id'])) {
      throw new DbError('DB_INVALID_DOCUMENT', `_id in ${this.ns} cannot be an array.`, { namespace: this.ns, path: '_id' });
    }
    const { doc, json } = encodeDocument(withId, this.ns);
    const id = keyOf(doc['_id']);
    return this.#db.batch.write(() => {
      this.#db.ensureTable(this.name);
      // A taken _id inserts nothing rather than failing: SQLite's error (a new Error with its
      // stack, then ours) cost more than the insert, and handlers that record ids meet many.
      let inserted: boolean;
      try {
        inserted =
          this.#db.stmt(`INSERT INTO ${this.#table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`).run(id, json).changes >
          0;
      } catch (err) {
        throw this.#mapWriteError(err, doc);
      }
      if (!inserted) throw this.#duplicate(undefined, doc);
      this.#afterWrite(id, doc);
      return doc;
    });
  }

  /**
   * Replaces the stored document `id` (whose `_id` was `previousId`) with `next`, which must keep
   * that `_id`. `encoded`: `next` already encoded by the caller.
   */
  replace(id: string, previousId: unknown, next: Document, encoded = encodeDocument(next, this.ns)): Write<Document> {
    return { result: encoded.doc, durable: this.#replace(id, previousId, encoded, false).durable };
  }

  /**
   * `replace`, unless the stored document already is `encoded` (SQLite compares the JSON, so the
   * caller need not serialise the current document). The result: whether it was written.
   */
  replaceIfChanged(id: string, previousId: unknown, encoded: Encoded): Write<boolean> {
    return this.#replace(id, previousId, encoded, true);
  }

  #replace(id: string, previousId: unknown, { doc, json }: Encoded, ifChanged: boolean): Write<boolean> {
    if (keyOf(doc['_id']) !== id) {
      throw new DbError(
        'DB_INVALID_UPDATE',
        `The update would change the immutable field _id of ${keyText(previousId)} in ${this.ns}.`,
        { namespace: this.ns, path: '_id' },
      );
    }
    return this.#db.batch.write(() => {
      let written: boolean;
      try {
        const update = this.#db.stmt(`UPDATE ${this.#table} SET doc = ? WHERE id = ?${ifChanged ? ' AND doc IS NOT ?' : ''}`);
        written = (ifChanged ? update.run(json, id, json) : update.run(json, id)).changes > 0;
      } catch (err) {
        throw this.#mapWriteError(err, doc);
      }
      if (written) this.#afterWrite(id, doc);
      return written;
    });
  }

  delete(id: string): Write<boolean> {
    if (!this.exists) return { result: false, durable: Promise.resolve() };
    return this.#db.batch.write(() => this.#db.stmt(`DELETE FROM ${this.#table} WHERE id = ?`).run(id).changes > 0);
  }

  /** Unique checks SQLite cannot make (null keys), and index plainness, for a row just written. */
  #afterWrite(id: string, doc: Document): void {
    for (const index of this.indexes.values()) {
      if (
        index.def.unique &&
        index.def.fields.some((f) => valuesAtPath(doc, f).length === 0 || valuesAtPath(doc, f)[0] === null)
      ) {
        const clash = this.#db.stmt(nullKeyConflictSql(this.name, index.def)).get(id);
        if (clash !== undefined) throw this.#duplicate(index.def, doc);
      }
      if (index.plain && !index.def.fields.every((f) => plainAt(doc, f))) this.#db.markNotPlain(index);
    }
  }

  #duplicate(def: IndexDef | undefined, doc: Document): DbError {
    if (def === undefined) {
      return new DbError('DB_DUPLICATE_KEY', `Duplicate key in ${this.ns}: _id ${keyText(doc['_id'])} already exists.`, {
        namespace: this.ns,
        index: ID_INDEX,
        key: { _id: doc['_id'] },
      });
    }
    const key = Object.fromEntries(def.fields.map((f) => [f, valuesAtPath(doc, f)[0] ?? null]));
    const shown = def.fields.map((f) => `${f}: ${keyText(key[f])}`).join(', ');
    return new DbError('DB_DUPLICATE_KEY', `Duplicate key in ${this.ns}: unique index "${def.name}" already has { ${shown} }.`, {
      namespace: this.ns,
      index: def.name,
      key,
    });
  }

  #mapWriteError(err: unknown, doc: Document): unknown {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return this.#duplicate(undefined, doc);
    if (code === 'SQLITE_CONSTRAINT_UNIQUE') {
      const message = messageOf(err);
      const index = [...this.indexes.values()].find((i) => message.includes(`'${i.sqlName}'`));
      return this.#duplicate(index?.def, doc);
    }
    if (err instanceof DbError) return err;
    return new DbError('DB_IO_ERROR', `Write to ${this.ns} failed: ${messageOf(err)}`, { namespace: this.ns, cause: err });
  }

  /** Builds an index over the current documents (DB_DUPLICATE_KEY when `unique` fails). */
  createIndex(def: IndexDef): Write {
    return this.#db.batch.write(() => {
      this.#db.ensureTable(this.name);
      if (def.unique && this.#db.db.prepare(duplicateKeysSql(this.name, def)).get() !== undefined) {
        throw new DbError('DB_DUPLICATE_KEY', `Cannot build unique index "${def.name}" on ${this.ns}: documents share a key.`, {
          namespace: this.ns,
          index: def.name,
        });
      }
      let plain = pathsArePlain(def);
      if (plain) {
        for (const page of this.pages({ where: [], params: [] })) {
          if (!page.every((doc) => def.fields.every((f) => plainAt(doc, f)))) {
            plain = false;
            break;
          }
        }
      }
      try {
        this.#db.addIndex(this.name, def, plain);
      } catch (err) {
        throw this.#mapWriteError(err, {});
      }
    });
  }

  dropIndex(name: string): Write {
    return this.#db.batch.write(() => this.#db.dropIndex(this.name, name));
  }
}
