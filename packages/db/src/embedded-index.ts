/** Index definitions of the embedded engine (SQLite builds and uses them: sqlite-sql.ts, sqlite-planner.ts). */
import type { CreateIndexOptions, IndexDescription, IndexSpec } from '@insights/sdk';
import { DbError } from './errors.ts';

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
