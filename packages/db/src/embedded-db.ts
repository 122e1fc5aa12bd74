/** `Db` of the embedded engine: one directory per module database, one per collection inside. */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Collection, Db, Document } from '@insights/sdk';
import { EmbeddedCollection, type StoreSource } from './embedded-collection.ts';
import { lockDirectory } from './embedded-lock.ts';
import { syncDir } from './embedded-journal.ts';
import { CollectionStore, DEFAULT_COMPACT_MIN_BYTES, DEFAULT_SYNC_INTERVAL_MS } from './embedded-store.ts';
import { DbError } from './errors.ts';
import { checkCollectionName, collectionDirName, collectionFromDirName } from './names.ts';

export interface EmbeddedDbOptions {
  /** Directory holding every module database (`<root>/<module>/<collection>/`). */
  readonly root: string;
  readonly name: string;
  /** Minimum journal size before compaction (tests set it low). */
  readonly compactMinBytes?: number | undefined;
  /** See DbProviderOptions.syncIntervalMs. */
  readonly syncIntervalMs?: number | undefined;
}

async function dirExists(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

export class EmbeddedDb implements Db, StoreSource {
  readonly databaseName: string;
  readonly #root: string;
  readonly #dir: string;
  readonly #compactMinBytes: number;
  readonly #syncIntervalMs: number;
  readonly #stores = new Map<string, Promise<CollectionStore>>();
  /** A drop under way: a new store for that name must wait for its files to be gone. */
  readonly #drops = new Map<string, Promise<void>>();
  /** The directory lock, taken at the first collection access; resolves to its release. */
  #lock: Promise<() => Promise<void>> | undefined;
  #closed = false;

  constructor(options: EmbeddedDbOptions) {
    this.databaseName = options.name;
    this.#root = options.root;
    this.#dir = path.join(options.root, options.name);
    this.#compactMinBytes = options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES;
    this.#syncIntervalMs = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  }

  collection<T extends Document = Document>(name: string): Collection<T> {
    return new EmbeddedCollection<T>(this, checkCollectionName(name));
  }

  store(name: string): Promise<CollectionStore> {
    if (this.#closed) return Promise.reject(this.#closedError());
    let p = this.#stores.get(name);
    if (p === undefined) {
      const ns = `${this.databaseName}.${name}`;
      const opening = (async () => {
        await this.#locked();
        await this.#drops.get(name);
        return CollectionStore.open(path.join(this.#dir, collectionDirName(name)), ns, {
          compactMinBytes: this.#compactMinBytes,
          syncIntervalMs: this.#syncIntervalMs,
          parentDirs: [this.#dir, this.#root],
        });
      })();
      p = opening;
      this.#stores.set(name, p);
      // A failed open (a damaged file) is not cached: the next operation reports it again.
      opening.catch(() => {
        if (this.#stores.get(name) === opening) this.#stores.delete(name);
      });
    }
    return p;
  }

  #locked(): Promise<unknown> {
    if (this.#lock === undefined) {
      const attempt = lockDirectory(this.#dir, this.databaseName);
      this.#lock = attempt;
      attempt.catch(() => {
        if (this.#lock === attempt) this.#lock = undefined;
      });
    }
    return this.#lock;
  }

  #closedError(): DbError {
    return new DbError('DB_CLOSED', `Database ${this.databaseName} is closed.`);
  }

  async listCollections(): Promise<string[]> {
    if (this.#closed) throw this.#closedError();
    const names = new Set<string>();
    try {
      for (const entry of await readdir(this.#dir, { withFileTypes: true })) {
        const name = entry.isDirectory() ? collectionFromDirName(entry.name) : undefined;
        if (name !== undefined && !this.#drops.has(name)) names.add(name);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // Collections whose first write has not created their directory yet.
    for (const [name, p] of this.#stores) {
      const store = await p.catch(() => undefined);
      if (store?.exists) names.add(name);
    }
    return [...names].sort();
  }

  async dropCollection(name: string): Promise<boolean> {
    if (this.#closed) throw this.#closedError();
    checkCollectionName(name);
    const open = this.#stores.get(name);
    this.#stores.delete(name);
    const previous = this.#drops.get(name);
    const dir = path.join(this.#dir, collectionDirName(name));
    const drop = (async () => {
      await this.#locked();
      await previous;
      const store = await open?.catch(() => undefined);
      let existed = store?.exists ?? false;
      await store?.close();
      existed = (await dirExists(dir)) || existed;
      await rm(dir, { recursive: true, force: true });
      if (await dirExists(this.#dir)) await syncDir(this.#dir);
      return existed;
    })();
    const settled = drop.then(
      () => undefined,
      () => undefined,
    );
    this.#drops.set(name, settled);
    void settled.then(() => {
      if (this.#drops.get(name) === settled) this.#drops.delete(name);
    });
    return drop;
  }

  /** Waits for pending writes and closes every journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stores = await Promise.all([...this.#stores.values()].map((p) => p.catch(() => undefined)));
    this.#stores.clear();
    await Promise.all(stores.map((s) => s?.close()));
    await Promise.all(this.#drops.values());
    const release = await this.#lock?.catch(() => undefined);
    this.#lock = undefined;
    await release?.();
  }

  /** Compacts every open collection now (tests and maintenance). */
  async compact(): Promise<void> {
    const stores = await Promise.all([...this.#stores.values()]);
    await Promise.all(stores.map((s) => s.compact()));
  }
}
