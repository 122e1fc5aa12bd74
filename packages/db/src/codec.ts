/**
 * How the embedded engine stores values. Documents are normalised once on write (deep copy,
 * `undefined` dropped, types checked) so memory always equals what the journal replays. On disk
 * they are JSON with two EJSON-style wrappers: `{"$date": "<ISO>"}` for Dates (they come back as
 * Dates, as from MongoDB) and `{"$numberDouble": "NaN" | "Infinity" | "-Infinity"}`. Field names
 * starting with `$` are rejected, so those wrappers can never be confused with user data.
 */
import type { Document } from '@insights/sdk';
import { DbError } from './errors.ts';

/** MongoDB's BSON document limit; we measure the JSON form. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

interface NormaliseState {
  special: boolean;
  ns: string;
}

function invalid(state: NormaliseState, path: string, what: string): DbError {
  return new DbError('DB_INVALID_DOCUMENT', `Cannot store ${what} at "${path}" in ${state.ns}.`, {
    namespace: state.ns,
    path,
  });
}

function normaliseValue(v: unknown, path: string, state: NormaliseState): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isFinite(v)) state.special = true;
      return v;
    case 'object': {
      if (v === null) return null;
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime())) throw invalid(state, path, 'an invalid Date');
        state.special = true;
        return new Date(v.getTime());
      }
      if (Array.isArray(v)) return v.map((x, i) => (x === undefined ? null : normaliseValue(x, `${path}.${i}`, state)));
      if (ArrayBuffer.isView(v) || v instanceof Map || v instanceof Set || v instanceof RegExp) {
        throw invalid(state, path, `a ${v.constructor.name} (use plain objects, arrays, strings, numbers, Dates)`);
      }
      return normaliseObject(v as Record<string, unknown>, path, state);
    }
    default:
      throw invalid(state, path, `a value of type ${typeof v}`);
  }
}

function normaliseObject(obj: Record<string, unknown>, path: string, state: NormaliseState): Document {
  const out: Document = {};
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === undefined) continue;
    const p = path === '' ? key : `${path}.${key}`;
    if (key.startsWith('$')) throw invalid(state, p, 'a field name starting with "$"');
    out[key] = normaliseValue(value, p, state);
  }
  return out;
}

/** A stored document and its journal form. */
export interface Encoded {
  readonly doc: Document;
  readonly json: string;
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return { $date: raw.toISOString() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $numberDouble: String(value) };
  return value;
}

/** Normalises and serialises a document; throws DB_INVALID_DOCUMENT / DB_DOCUMENT_TOO_LARGE. */
export function encodeDocument(doc: unknown, ns: string): Encoded {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || doc instanceof Date) {
    throw new DbError('DB_INVALID_DOCUMENT', `A document must be a plain object (writing to ${ns}).`, { namespace: ns });
  }
  const state: NormaliseState = { special: false, ns };
  const stored = normaliseObject(doc as Record<string, unknown>, '', state);
  const json = state.special ? JSON.stringify(stored, replacer) : JSON.stringify(stored);
  if (json.length > MAX_DOCUMENT_BYTES) {
    throw new DbError('DB_DOCUMENT_TOO_LARGE', `Document with _id ${keyText(stored['_id'])} in ${ns} is over 16 MiB.`, {
      namespace: ns,
      key: stored['_id'],
    });
  }
  return { doc: stored, json };
}

/** Serialises any stored value (ids, index keys) with the same wrappers. */
export function encodeValue(v: unknown): string {
  return JSON.stringify(v, replacer);
}

function revive(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    if (keys[0] === '$date') return new Date(o['$date'] as string);
    if (keys[0] === '$numberDouble') return Number(o['$numberDouble']);
  }
  for (const k of keys) o[k] = revive(o[k]);
  return o;
}

/** Parses a value written by `encodeDocument`/`encodeValue`. */
export function decodeValue(json: string): unknown {
  const parsed: unknown = JSON.parse(json);
  return json.includes('"$') ? revive(parsed) : parsed;
}

/** Revives wrappers inside an already parsed value (journal records parse once as a whole). */
export function reviveValue(parsed: unknown): unknown {
  return revive(parsed);
}

/** Deep copy of a stored value (plain objects, arrays, Dates and primitives only). */
export function cloneValue<V>(v: V): V {
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Date) return new Date(v.getTime()) as V;
  if (Array.isArray(v)) return v.map(cloneValue) as V;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = cloneValue((v as Record<string, unknown>)[k]);
  return out as V;
}

/**
 * Equality key of a value for maps and indexes: equal keys iff MongoDB equality (for the types we
 * store; objects compare field order too, as in MongoDB).
 */
export function keyOf(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `s${v}`;
    case 'number':
      return `n${v}`;
    case 'boolean':
      return v ? 't' : 'f';
    case 'undefined':
      return 'z';
    default:
      if (v === null) return 'z';
      if (v instanceof Date) return `d${v.getTime()}`;
      return `o${encodeValue(v)}`;
  }
}

/** A short readable form of a key for error messages. */
export function keyText(v: unknown): string {
  const s = v instanceof Date ? v.toISOString() : (encodeValue(v) ?? String(v));
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
