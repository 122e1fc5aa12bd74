/**
 * First start on a data folder of the journal engine (earlier versions): every collection
 * directory (`<module>/<collection>/snapshot.jsonl + journal-N.jsonl`) is replayed into the
 * module's SQLite file in one transaction, its indexes are rebuilt, and the old directories are
 * kept under `<module>/journal-format-backup/` (delete it once satisfied). Nothing is served
 * before the migration finished; if it is interrupted, the next start runs it again from the
 * untouched journal files (replaying puts and deletes by `_id` is idempotent).
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { encodeDocument, keyOf } from './codec.ts';
import type { IndexDef } from './embedded-index.ts';
import { DbError, messageOf } from './errors.ts';
import { isJournalCollection, readJournalDirectory } from './journal-reader.ts';
import { collectionFromDirName } from './names.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { tableOf } from './sqlite-sql.ts';
import { CollectionStore } from './sqlite-store.ts';

export const JOURNAL_BACKUP_DIR = 'journal-format-backup';

/** Collection directories of the journal format inside a module directory. */
async function journalCollections(dir: string): Promise<{ name: string; dir: string }[]> {
  const found: { name: string; dir: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === JOURNAL_BACKUP_DIR) continue;
    const name = collectionFromDirName(entry.name);
    const sub = path.join(dir, entry.name);
    if (name !== undefined && isJournalCollection(await readdir(sub))) found.push({ name, dir: sub });
  }
  return found;
}

async function replayCollection(sqlite: SqliteDatabase, name: string, dir: string): Promise<Map<string, IndexDef>> {
  const ns = `${sqlite.name}.${name}`;
  const table = tableOf(name);
  sqlite.ensureTable(name);
  const put = sqlite.db.prepare(`INSERT OR REPLACE INTO ${table} (id, doc) VALUES (?, ?)`);
  const del = sqlite.db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  const indexes = new Map<string, IndexDef>();
  await readJournalDirectory(dir, {
    put: (doc) => put.run(keyOf(doc['_id']), encodeDocument(doc, ns).json),
    del: (id) => del.run(keyOf(id)),
    createIndex: (def) => indexes.set(def.name, def),
    dropIndex: (indexName) => indexes.delete(indexName),
  });
  return indexes;
}

/** Migrates `dir` (a module database directory) when it holds journal-format collections. */
export async function migrateJournalDirectory(dir: string, sqlite: SqliteDatabase): Promise<void> {
  const collections = await journalCollections(dir);
  if (collections.length === 0) return;
  const indexes = new Map<string, Map<string, IndexDef>>();
  sqlite.db.exec('BEGIN');
  try {
    for (const c of collections) indexes.set(c.name, await replayCollection(sqlite, c.name, c.dir));
    sqlite.db.exec('COMMIT');
  } catch (err) {
    sqlite.db.exec('ROLLBACK');
    throw new DbError(
      'DB_CORRUPT_JOURNAL',
      `Migrating database ${sqlite.name} from the journal format in ${dir} failed: ${messageOf(err)}. ` +
        'The journal files are untouched; fix or remove the damaged collection directory and start again.',
      { file: dir, cause: err },
    );
  }
  for (const [name, defs] of indexes) {
    const store = new CollectionStore(sqlite, name);
    for (const def of defs.values()) if (!store.indexes.has(def.name)) await store.createIndex(def).durable;
  }
  const backup = path.join(dir, JOURNAL_BACKUP_DIR);
  await mkdir(backup, { recursive: true });
  for (const c of collections) await rename(c.dir, path.join(backup, path.basename(c.dir)));
}
