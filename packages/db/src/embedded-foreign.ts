/**
 * Whole foreign collections for the stages mingo evaluates itself (`$lookup` with `pipeline` or
 * `let`, `$graphLookup`, nested uses): read only when mingo's collection resolver asks for one,
 * and bounded, so a join against a large collection fails with a code that says what to do
 * instead of growing the node's memory with that collection.
 */
import type { Document } from '@insights/sdk';
import { DbError } from './errors.ts';
import { MAX_SORT_BYTES, matching } from './embedded-read.ts';
import type { CollectionStore } from './sqlite-store.ts';

/** The most the collections one aggregation reads whole may hold together, in bytes. */
export const MAX_FOREIGN_BYTES = MAX_SORT_BYTES;

/** Reads collections whole on demand, at most MAX_FOREIGN_BYTES over all of them. */
export class ForeignCollections {
  readonly #stores: ReadonlyMap<string, CollectionStore>;
  readonly #stageOf: ReadonlyMap<string, string>;
  readonly #ns: string;
  readonly #loaded = new Map<string, Document[]>();
  #bytes = 0;

  /**
   * @param stores the opened stores of every collection the pipeline names
   * @param stageOf the stage that names each collection, for error messages
   */
  constructor(stores: ReadonlyMap<string, CollectionStore>, stageOf: ReadonlyMap<string, string>, ns: string) {
    this.#stores = stores;
    this.#stageOf = stageOf;
    this.#ns = ns;
  }

  /** mingo's collectionResolver: synchronous, so every store is opened beforehand. */
  readonly resolve = (name: string): Document[] => {
    const cached = this.#loaded.get(name);
    if (cached !== undefined) return cached;
    const store = this.#stores.get(name);
    const docs: Document[] = [];
    if (store !== undefined) {
      for (const doc of matching(store, {})) {
        this.#bytes += JSON.stringify(doc).length;
        if (this.#bytes > MAX_FOREIGN_BYTES) throw this.#tooLarge(name);
        docs.push(doc);
      }
    }
    this.#loaded.set(name, docs);
    return docs;
  };

  #tooLarge(name: string): DbError {
    const stage = this.#stageOf.get(name) ?? '$lookup';
    return new DbError(
      'DB_LOOKUP_TOO_LARGE',
      `${stage} on ${this.#ns} reads collection ${name} whole, and it holds more than ${MAX_FOREIGN_BYTES / 1024 / 1024} MiB: ` +
        `use $lookup's equality form ({ from, localField, foreignField, as }) with an index on foreignField ` +
        `(it reads only the matching documents), or $match the input first and join fewer collections or smaller ones.`,
      { namespace: this.#ns },
    );
  }
}
