/**
 * Field lookup with the exact semantics of event-routing-backends' `get_data(key, required)`,
 * which every transformer is written against:
 *  - a dotted key (`context.course_id`) follows that path and gives `undefined` on any miss;
 *  - a plain key (`session`, `timestamp`, `submission`) is searched at every depth of nested
 *    objects (not lists): this level first, then each child object in key order;
 *  - empty values (`''`, `[]`, `{}`, `null`) count as missing, but `0` and `false` do not;
 *  - `required` turns a miss into a coded XAPI_MISSING_FIELD error naming the key.
 */
import { EdxDataError } from '../errors.ts';

type Obj = Record<string, unknown>;

export class EventData {
  readonly event: Obj;

  constructor(event: Obj) {
    this.event = event;
  }

  /** The event name the registry dispatches on (`name`). */
  get name(): string {
    return this.required('name') as string;
  }

  get(key: string): unknown {
    const value = key.includes('.') ? dotted(this.event, key) : findNested(this.event, key);
    return isEmpty(value) ? undefined : value;
  }

  required(key: string): unknown {
    const value = this.get(key);
    if (value === undefined) {
      const name = typeof this.event['name'] === 'string' ? this.event['name'] : 'unknown';
      throw new EdxDataError('XAPI_MISSING_FIELD', `cannot convert the edX event "${name}" to xAPI: no value for \`${key}\``, {
        field: key,
      });
    }
    return value;
  }

  /** `get` for a value used as text (ids, names); non-strings are converted as Python's `str()` would. */
  string(key: string): string | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : typeof v === 'string' ? v : String(v);
  }

  requiredString(key: string): string {
    const v = this.required(key);
    return typeof v === 'string' ? v : String(v);
  }
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

function dotted(obj: Obj, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    // Python `result[key]`: a dict lookup; on a list or string with a str key it is a TypeError -> None.
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Obj)[part];
  }
  return cur;
}

function findNested(obj: Obj, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  for (const k in obj) {
    const v = obj[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const found = findNested(v as Obj, key);
      if (found !== undefined && found !== null) return found;
    }
  }
  return undefined;
}
