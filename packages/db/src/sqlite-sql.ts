/**
 * SQL text of the embedded engine: quoted identifiers, the JSON path expression of a document
 * field, and index definitions. Index expressions and query expressions come from the same
 * function, so SQLite recognises a query's `json_extract(...)` as the indexed one.
 */
import type { IndexDef } from './embedded-index.ts';

/** Prefix of the table of collection `name` (`"c:<name>"`); other tables hold metadata. */
export const COLLECTION_TABLE_PREFIX = 'c:';

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function tableOf(collection: string): string {
  return quoteIdent(`${COLLECTION_TABLE_PREFIX}${collection}`);
}

/** The SQLite JSON path of a dotted MongoDB path: `a.b` -> `$."a"."b"`. */
function jsonPath(field: string): string {
  return `$${field
    .split('.')
    .map((part) => `."${part.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)
    .join('')}`;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The value of `field` in the row's document (`doc` column, optionally of a table alias). */
export function fieldExpr(field: string, alias?: string): string {
  return `json_extract(${alias === undefined ? '' : `${alias}.`}doc, ${sqlString(jsonPath(field))})`;
}

/** True when the field is present (JSON null counts as present, as for MongoDB's sparse). */
function presentExpr(field: string, alias?: string): string {
  return `json_type(${alias === undefined ? '' : `${alias}.`}doc, ${sqlString(jsonPath(field))}) IS NOT NULL`;
}

/** The partial-index condition of a sparse index: a document with at least one of its fields. */
export function sparseCondition(def: IndexDef, alias?: string): string {
  return `(${def.fields.map((f) => presentExpr(f, alias)).join(' OR ')})`;
}

export function createIndexSql(sqlName: string, collection: string, def: IndexDef): string {
  const columns = def.fields.map((f) => `${fieldExpr(f)}${def.key[f] === -1 ? ' DESC' : ''}`).join(', ');
  const where = def.sparse ? ` WHERE ${sparseCondition(def)}` : '';
  return `CREATE ${def.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdent(sqlName)} ON ${tableOf(collection)} (${columns})${where}`;
}

/**
 * A unique index in SQLite lets several rows have NULL keys; MongoDB treats a missing field as
 * null and allows it once (unless sparse). This query finds another row whose key equals the
 * row's `id` where one of its key parts is null (`IS` compares nulls as equal).
 */
export function nullKeyConflictSql(collection: string, def: IndexDef): string {
  const t = tableOf(collection);
  const anyNull = def.fields.map((f) => `${fieldExpr(f, 'n')} IS NULL`).join(' OR ');
  const same = def.fields.map((f) => `${fieldExpr(f, 'o')} IS ${fieldExpr(f, 'n')}`).join(' AND ');
  const sparse = def.sparse ? ` AND ${sparseCondition(def, 'n')} AND ${sparseCondition(def, 'o')}` : '';
  return `SELECT o.id FROM ${t} AS n JOIN ${t} AS o ON ${same} WHERE n.id = ? AND o.id != n.id AND (${anyNull})${sparse} LIMIT 1`;
}

/** Groups of rows sharing a key, as MongoDB sees keys (nulls equal): a unique build must find none. */
export function duplicateKeysSql(collection: string, def: IndexDef): string {
  const cols = def.fields.map((f) => fieldExpr(f)).join(', ');
  const where = def.sparse ? ` WHERE ${sparseCondition(def)}` : '';
  return `SELECT 1 FROM ${tableOf(collection)}${where} GROUP BY ${cols} HAVING count(*) > 1 LIMIT 1`;
}
