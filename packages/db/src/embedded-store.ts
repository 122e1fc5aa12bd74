/**
 * One collection of the embedded engine: documents in memory, keyed by `_id`, with secondary
 * indexes, made durable by a journal and compacted into snapshots. Every change is applied to
 * memory synchronously (so operations on one collection are ordered as they are called) and the
 * returned promise resolves when its journal record is synced.
 *
 * Stored documents are never changed in place: an update stores a new object. That lets a
 * compaction snapshot the collection by copying the array of references.
 */
import { rm } from 'node:fs/promises';
import type { Document } from '@insights/sdk';
import { encodeDocument, keyOf, keyText } from './codec.ts';
import {
  createIndexRecord,
  deleteRecord,
  dropIndexRecord,
  journalFile,
  putRecord,
  recover,
  writeSnapshot,
} from './embedded-files.ts';
import { MemIndex, type IndexDef } from './embedded-index.ts';
import { Journal, syncDir } from './embedded-journal.ts';
import { DbError, messageOf } from './errors.ts';
import { newObjectIdHex } from './object-id.ts';

/** Compact when the journal reaches this size or the snapshot's size, whichever is larger. */
export const DEFAULT_COMPACT_MIN_BYTES = 16 * 1024 * 1024;

/** Acknowledged writes reach the disk within this many ms (they are in the OS at once). */
export const DEFAULT_SYNC_INTERVAL_MS = 100;

export interface StoreOptions {
  readonly compactMinBytes: number;
  readonly syncIntervalMs: number;
  /** Parent directories to sync when the collection directory is first created. */
  readonly parentDirs: readonly string[];
}

export const ID_INDEX = '_id_';

export class CollectionStore {
  readonly ns: string;
  readonly dir: string;
  /** `_id` key -> stored document. */
  readonly docs = new Map<string, Document>();
  readonly indexes = new Map<string, MemIndex>();
  readonly #options: StoreOptions;
  #journal!: Journal;
  #gen = 1;
  /** Oldest journal generation that may still be on disk. */
  #firstGen = 1;
  #snapshotBytes = 0;
  #compacting: Promise<void> | undefined;
  #exists = false;
  #closed = false;

  private constructor(dir: string, ns: string, options: StoreOptions) {
    this.dir = dir;
    this.ns = ns;
    this.#options = options;
  }

  static async open(dir: string, ns: string, options: StoreOptions): Promise<CollectionStore> {
    const store = new CollectionStore(dir, ns, options);
    // Replay trusts the journal: constraints were checked when the records were written.
    const rec = await recover(dir, {
      put: (doc) => store.#put(keyOf(doc['_id']), doc),
      del: (id) => store.#remove(keyOf(id)),
      createIndex: (def) => store.#addIndex(store.#buildIndex(def, false)),
      dropIndex: (name) => store.indexes.delete(name),
    });
    store.#gen = rec.journalGen;
    store.#firstGen = rec.firstGen;
    store.#snapshotBytes = rec.snapshotBytes;
    store.#exists = !rec.fresh;
    store.#journal = new Journal(journalFile(dir, rec.journalGen), rec.journalBytes, options.parentDirs, options.syncIntervalMs);
    return store;
  }

  /** True once the collection has a directory or a write under way. */
  get exists(): boolean {
    return this.#exists;
  }

  #check(): void {
    if (this.#closed) throw new DbError('DB_CLOSED', `Collection ${this.ns} is closed.`, { namespace: this.ns });
    const failed = this.#journal.failed;
    if (failed) throw failed;
  }

  #append(record: string): Promise<void> {
    this.#exists = true;
    const durable = this.#journal.append(record);
    if (this.#journal.bytes >= Math.max(this.#options.compactMinBytes, this.#snapshotBytes)) {
      // Background: a failed compaction leaves the journals in place, so nothing is lost.
      this.compact().catch(() => undefined);
    }
    return durable;
  }

  #keys(doc: Document): Map<MemIndex, string[]> {
    const keys = new Map<MemIndex, string[]>();
    for (const index of this.indexes.values()) keys.set(index, index.keysOf(doc));
    return keys;
  }

  #put(idKey: string, doc: Document): void {
    this.#remove(idKey);
    for (const [index, keys] of this.#keys(doc)) index.add(keys, idKey);
    this.docs.set(idKey, doc);
  }

  #remove(idKey: string): Document | undefined {
    const old = this.docs.get(idKey);
    if (old === undefined) return undefined;
    for (const [index, keys] of this.#keys(old)) index.remove(keys, idKey);
    this.docs.delete(idKey);
    return old;
  }

  /** Inserts a document (generating `_id` when absent); returns the stored copy. */
  insert(input: Document): { doc: Document; durable: Promise<void> } {
    this.#check();
    let withId = input;
    if (input['_id'] === undefined) {
      const { _id, ...rest } = input;
      withId = { _id: newObjectIdHex(), ...rest };
    }
    if (Array.isArray(withId['_id'])) {
      throw new DbError('DB_INVALID_DOCUMENT', `_id in ${this.ns} cannot be an array.`, { namespace: this.ns, path: '_id' });
    }
    const { doc, json } = encodeDocument(withId, this.ns);
    const idKey = keyOf(doc['_id']);
    if (this.docs.has(idKey)) {
      throw new DbError('DB_DUPLICATE_KEY', `Duplicate key in ${this.ns}: _id ${keyText(doc['_id'])} already exists.`, {
        namespace: this.ns,
        index: ID_INDEX,
        key: { _id: doc['_id'] },
      });
    }
    const keys = this.#keys(doc);
    for (const [index, k] of keys) index.checkUnique(k, idKey, doc, this.ns);
    for (const [index, k] of keys) index.add(k, idKey);
    this.docs.set(idKey, doc);
    return { doc, durable: this.#append(putRecord(json)) };
  }

  /** Replaces the stored document under `idKey` with `next` (same `_id`). */
  replace(idKey: string, next: Document): { doc: Document; durable: Promise<void> } {
    this.#check();
    const old = this.docs.get(idKey);
    if (old === undefined) throw new Error(`internal: no document ${idKey} in ${this.ns}`);
    const { doc, json } = encodeDocument(next, this.ns);
    if (keyOf(doc['_id']) !== idKey) {
      throw new DbError(
        'DB_INVALID_UPDATE',
        `The update would change the immutable field _id of ${keyText(old['_id'])} in ${this.ns}.`,
        { namespace: this.ns, path: '_id' },
      );
    }
    const keys = this.#keys(doc);
    for (const [index, k] of keys) index.checkUnique(k, idKey, doc, this.ns);
    for (const [index, k] of this.#keys(old)) index.remove(k, idKey);
    for (const [index, k] of keys) index.add(k, idKey);
    this.docs.set(idKey, doc);
    return { doc, durable: this.#append(putRecord(json)) };
  }

  delete(idKey: string): { doc: Document | undefined; durable: Promise<void> } {
    this.#check();
    const doc = this.#remove(idKey);
    if (doc === undefined) return { doc, durable: Promise.resolve() };
    return { doc, durable: this.#append(deleteRecord(doc['_id'])) };
  }

  #buildIndex(def: IndexDef, enforce: boolean): MemIndex {
    const index = new MemIndex(def);
    for (const [idKey, doc] of this.docs) {
      const keys = index.keysOf(doc);
      if (enforce) index.checkUnique(keys, idKey, doc, this.ns);
      index.add(keys, idKey);
    }
    return index;
  }

  #addIndex(index: MemIndex): void {
    this.indexes.set(index.def.name, index);
  }

  /** Builds an index over the current documents (DB_DUPLICATE_KEY if `unique` fails). */
  createIndex(def: IndexDef): Promise<void> {
    this.#check();
    this.#addIndex(this.#buildIndex(def, true));
    return this.#append(createIndexRecord(def));
  }

  dropIndex(name: string): Promise<void> {
    this.#check();
    this.indexes.delete(name);
    return this.#append(dropIndexRecord(name));
  }

  /** Writes a snapshot and deletes the journals it covers. Runs once at a time. */
  compact(): Promise<void> {
    if (this.#compacting) return this.#compacting;
    if (!this.#exists || this.#closed) return Promise.resolve();
    // Point-in-time: the array of references and the journal switch happen in one tick.
    const gen = this.#gen + 1;
    const docs = [...this.docs.values()];
    const defs = [...this.indexes.values()].map((i) => i.def);
    this.#gen = gen;
    const rotated = this.#journal.rotate(journalFile(this.dir, gen));
    this.#compacting = (async () => {
      await rotated;
      this.#snapshotBytes = await writeSnapshot(this.dir, gen, defs, docs);
      for (let g = this.#firstGen; g < gen; g++) await rm(journalFile(this.dir, g), { force: true });
      this.#firstGen = gen;
      await syncDir(this.dir);
    })()
      .catch((err: unknown) => {
        throw new DbError('DB_IO_ERROR', `Compaction of ${this.ns} failed: ${messageOf(err)}`, { file: this.dir, cause: err });
      })
      .finally(() => {
        this.#compacting = undefined;
      });
    return this.#compacting;
  }

  /** Waits for pending writes and compaction, then closes the journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#compacting?.catch(() => undefined);
    await this.#journal.close();
  }
}
