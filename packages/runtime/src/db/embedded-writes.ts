/** Building documents for upserts and replacements, with MongoDB's rules. */
import type { Document } from '@insights/sdk';
import { applyUpdate } from './mingo-ops.ts';
import { DbError } from './errors.ts';

function isOperatorObject(v: unknown): v is Document {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !(v instanceof RegExp) &&
    Object.keys(v).some((k) => k.startsWith('$'))
  );
}

/** Equality fields of a filter (`f: v`, `f: { $eq: v }`, inside `$and`): an upsert starts from them. */
export function equalityFields(filter: Document, out: Document = {}): Document {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (typeof sub === 'object' && sub !== null) equalityFields(sub as Document, out);
    } else if (k.startsWith('$') || v instanceof RegExp) {
      continue;
    } else if (isOperatorObject(v)) {
      if ('$eq' in v) out[k] = v['$eq'];
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** True when an update uses the positional `$` operator, which needs the filter to resolve. */
export function usesPositional(ops: Document | Document[]): boolean {
  if (Array.isArray(ops)) return false;
  return Object.values(ops).some(
    (fields) => typeof fields === 'object' && fields !== null && Object.keys(fields).some((p) => /\.\$(\.|$)/.test(p)),
  );
}

/** The document an upsert inserts: filter equalities, then the update, then `$setOnInsert`. */
export function upsertDocument(
  filter: Document,
  ops: Document | Document[],
  setOnInsert: Document | undefined,
  arrayFilters: Document[] | undefined,
  ns: string,
): Document {
  const { _id, ...eq } = equalityFields(filter);
  let doc: Document = _id === undefined ? {} : { _id };
  if (Object.keys(eq).length > 0) doc = applyUpdate(doc, { $set: eq }, {}, undefined, ns) ?? doc;
  doc = applyUpdate(doc, ops, {}, arrayFilters, ns) ?? doc;
  if (setOnInsert && Object.keys(setOnInsert).length > 0) {
    doc = applyUpdate(doc, { $set: setOnInsert }, {}, undefined, ns) ?? doc;
  }
  return doc;
}

/** Checks a replacement has no update operators. */
export function checkReplacement(replacement: unknown, ns: string): Document {
  if (typeof replacement !== 'object' || replacement === null || Array.isArray(replacement)) {
    throw new DbError('DB_INVALID_UPDATE', `A replacement for ${ns} must be a document.`, { namespace: ns });
  }
  const op = Object.keys(replacement).find((k) => k.startsWith('$'));
  if (op !== undefined) {
    throw new DbError(
      'DB_INVALID_UPDATE',
      `Replacement for ${ns} contains the operator ${op}: use updateOne() for operators.`,
      { namespace: ns },
    );
  }
  return replacement as Document;
}

/** The replacement stored over `current`: keeps `_id` first (a different `_id` fails later). */
export function replacementFor(current: Document, replacement: Document): Document {
  const { _id, ...rest } = replacement;
  return { _id: _id === undefined ? current['_id'] : _id, ...rest };
}
