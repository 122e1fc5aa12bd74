/**
 * Secondary indexes of the embedded engine: a hash map from equality key to document ids. They
 * enforce `unique` and answer equality lookups; ranges and sorts still scan (documents are in
 * memory, so a scan costs CPU, not I/O).
 */
import type { CreateIndexOptions, Document, IndexDescription, IndexSpec } from '@insights/sdk';
import { keyOf, keyText } from './codec.ts';
import { valuesAtPath } from './doc-path.ts';
import { DbError } from './errors.ts';

/** At most this many keys per document (compound indexes over arrays multiply). */
const MAX_KEYS_PER_DOCUMENT = 1000;

export interface IndexDef {
  readonly name: string;
  readonly fields: readonly string[];
  readonly key: IndexSpec;
  readonly unique: boolean;
  readonly sparse: boolean;
}

/** Validates a spec and options into a definition (driver naming: `a_1_b_-1`). */
export function indexDef(spec: unknown, options: CreateIndexOptions | undefined, ns: string): IndexDef {
  const entries = typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? Object.entries(spec) : [];
  if (entries.length === 0) {
    throw new DbError('DB_INVALID_INDEX', `An index spec for ${ns} must be an object like { field: 1 }.`, { namespace: ns });
  }
  for (const [field, dir] of entries) {
    if (dir !== 1 && dir !== -1) {
      throw new DbError(
        'DB_UNSUPPORTED',
        `Index type ${JSON.stringify(dir)} on "${field}" in ${ns}: the embedded engine supports 1 and -1 only.`,
        { namespace: ns },
      );
    }
    if (field === '' || field.startsWith('$')) {
      throw new DbError('DB_INVALID_INDEX', `Invalid index field "${field}" for ${ns}.`, { namespace: ns });
    }
  }
  const key = Object.fromEntries(entries) as IndexSpec;
  const name = options?.name ?? entries.map(([f, d]) => `${f}_${String(d)}`).join('_');
  return { name, fields: entries.map(([f]) => f), key, unique: options?.unique === true, sparse: options?.sparse === true };
}

export function sameIndex(a: IndexDef, b: IndexDef): boolean {
  return a.unique === b.unique && a.sparse === b.sparse && JSON.stringify(a.key) === JSON.stringify(b.key);
}

export function describeIndex(def: IndexDef): IndexDescription {
  return {
    name: def.name,
    key: { ...def.key },
    ...(def.unique ? { unique: true } : {}),
    ...(def.sparse ? { sparse: true } : {}),
  };
}

/** Appends one field's key to a compound key; length-prefixed so parts can never run together. */
export function joinKey(prefix: string, part: string): string {
  return `${prefix}${part.length}:${part}`;
}

export class MemIndex {
  readonly def: IndexDef;
  readonly #map = new Map<string, Set<string>>();

  constructor(def: IndexDef) {
    this.def = def;
  }

  /** Keys of a document; empty when a sparse index skips it. Arrays fan out (multikey). */
  keysOf(doc: Document): string[] {
    const perField = this.def.fields.map((f) => valuesAtPath(doc, f));
    if (this.def.sparse && perField.every((vals) => vals.length === 0)) return [];
    let keys = [''];
    // Every key is built with joinKey, also for one field, so lookups build them the same way.
    for (const vals of perField) {
      const parts = vals.length === 0 ? ['z'] : [...new Set(vals.map(keyOf))];
      keys = keys.flatMap((k) => parts.map((p) => joinKey(k, p)));
      if (keys.length > MAX_KEYS_PER_DOCUMENT) {
        throw new DbError('DB_INVALID_DOCUMENT', `Document has too many keys for index ${this.def.name}.`, {
          index: this.def.name,
        });
      }
    }
    return keys;
  }

  /** Ids stored under an equality key (for lookups). */
  lookup(key: string): ReadonlySet<string> | undefined {
    return this.#map.get(key);
  }

  /** Throws DB_DUPLICATE_KEY if `keys` are held by a document other than `idKey`. */
  checkUnique(keys: readonly string[], idKey: string, doc: Document, ns: string): void {
    if (!this.def.unique) return;
    for (const k of keys) {
      const holders = this.#map.get(k);
      if (holders === undefined) continue;
      for (const holder of holders) {
        if (holder !== idKey) throw this.duplicate(doc, ns);
      }
    }
  }

  duplicate(doc: Document, ns: string): DbError {
    const shown = this.def.fields.map((f) => `${f}: ${keyText(valuesAtPath(doc, f)[0] ?? null)}`).join(', ');
    return new DbError('DB_DUPLICATE_KEY', `Duplicate key in ${ns}: unique index "${this.def.name}" already has { ${shown} }.`, {
      namespace: ns,
      index: this.def.name,
      key: Object.fromEntries(this.def.fields.map((f) => [f, valuesAtPath(doc, f)[0] ?? null])),
    });
  }

  add(keys: readonly string[], idKey: string): void {
    for (const k of keys) {
      let set = this.#map.get(k);
      if (set === undefined) this.#map.set(k, (set = new Set()));
      set.add(idKey);
    }
  }

  remove(keys: readonly string[], idKey: string): void {
    for (const k of keys) {
      const set = this.#map.get(k);
      if (set === undefined) continue;
      set.delete(idKey);
      if (set.size === 0) this.#map.delete(k);
    }
  }
}
