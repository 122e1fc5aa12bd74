import type { ViewResult } from '@insights/sdk';
import type { OutgoingResult } from './frame-codec.ts';
import type { WireResult } from './messages.ts';

/** What a host returns for a call before it is put on the wire: JSON data or a view. */
export type CallOutcome =
  | {
      readonly type: 'json';
      readonly value: unknown;
      /** A memoized result handed to every caller until it expires (so never mutated): its JSON is cached. */
      readonly shared?: boolean;
      /** The value's JSON when it arrived encoded (from a sandbox): sent as is, parsed only if read. */
      readonly encoded?: string | Uint8Array;
    }
  | ViewResult;

/** A result left undecoded (the client's `mesh.raw`): its content type and bytes as the node sent them. */
export interface RawOutcome {
  readonly type: 'raw';
  readonly contentType: string;
  readonly data: Uint8Array;
}

export const CONTENT_TYPES = {
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  table: 'application/vnd.insights.table+json',
  'vega-lite': 'application/vnd.vegalite+json',
} as const satisfies Record<CallOutcome['type'], string>;

const utf8 = new TextDecoder();

/**
 * A JSON result that crossed from a sandbox already encoded: the node writes `encoded` into the
 * frame untouched and parses it only if something on the node reads `value` (a nested call, CSV).
 */
export class EncodedJson {
  readonly type = 'json';
  #value: unknown;
  #parsed = false;

  constructor(readonly encoded: string | Uint8Array) {}

  get value(): unknown {
    if (!this.#parsed) {
      this.#value = JSON.parse(typeof this.encoded === 'string' ? this.encoded : textOf(this.encoded));
      this.#parsed = true;
    }
    return this.#value;
  }
}

/** Encoded JSON of shared (memoized) results: made once per value and copied into frames as bytes. */
const sharedEncodings = new WeakMap<object, Buffer>();

/** A call's value as JSON for the wire (text, or cached bytes for a shared value). */
export function encodedJsonOf(value: unknown, shared = false): string | Buffer {
  if (!shared || typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  let bytes = sharedEncodings.get(value);
  if (bytes === undefined) sharedEncodings.set(value, (bytes = Buffer.from(JSON.stringify(value))));
  return bytes;
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) ?? 'null');
}

/**
 * A call's outcome as content type and body, text left as strings and cached encodings as bytes:
 * the call stream's codec writes either straight into the frame (no intermediate Buffer).
 */
export function encodeResultBody(r: CallOutcome): OutgoingResult {
  switch (r.type) {
    case 'json':
      return { contentType: CONTENT_TYPES.json, data: r.encoded ?? encodedJsonOf(r.value, r.shared) };
    case 'html':
      return { contentType: CONTENT_TYPES.html, data: r.html };
    case 'svg':
      return { contentType: CONTENT_TYPES.svg, data: r.svg };
    case 'png':
      return { contentType: CONTENT_TYPES.png, data: r.data };
    case 'table':
      return {
        contentType: CONTENT_TYPES.table,
        data: JSON.stringify({ columns: r.columns, rows: r.rows, ...(r.title === undefined ? {} : { title: r.title }) }),
      };
    case 'vega-lite':
      return { contentType: CONTENT_TYPES['vega-lite'], data: JSON.stringify(r.spec) };
  }
}

/** The same with bytes throughout, for protobufjs (unary calls) and HTTP. */
export function encodeResult(r: CallOutcome): WireResult {
  const { contentType, data } = encodeResultBody(r);
  return { contentType, data: typeof data === 'string' ? Buffer.from(data) : data };
}

/** Bytes as text: Buffers (what the wire decodes) slice natively, other views go through TextDecoder. */
function textOf(bytes: Uint8Array): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8') : utf8.decode(bytes);
}

export function decodeResult(w: WireResult): CallOutcome {
  // The common case without parsing the content type.
  const ct = w.contentType === CONTENT_TYPES.json ? CONTENT_TYPES.json : (w.contentType.split(';')[0]?.trim() ?? '');
  switch (ct) {
    case 'application/json':
      return { type: 'json', value: w.data.length === 0 ? null : JSON.parse(textOf(w.data)) };
    case 'text/html':
      return { type: 'html', html: textOf(w.data) };
    case 'image/svg+xml':
      return { type: 'svg', svg: textOf(w.data) };
    case 'image/png':
      return { type: 'png', data: w.data };
    case 'application/vnd.insights.table+json': {
      const t = JSON.parse(textOf(w.data)) as { columns: string[]; rows: []; title?: string };
      return { type: 'table', columns: t.columns, rows: t.rows, ...(t.title === undefined ? {} : { title: t.title }) };
    }
    case 'application/vnd.vegalite+json':
      return { type: 'vega-lite', spec: JSON.parse(textOf(w.data)) as Record<string, unknown> };
    default:
      throw new Error(`unsupported result content type "${w.contentType}"`);
  }
}

/** Parses call arguments from JSON bytes; an empty payload means no arguments. */
export function decodeArgs(bytes: Uint8Array): unknown {
  return bytes.length === 0 ? {} : JSON.parse(textOf(bytes));
}
