/**
 * The hot path between a host and its sandbox in bytes: the calls of one batch travel as one
 * buffer, their results likewise. Structured clone walks every message object field by field on
 * both sides (it was most of the node's own CPU per sandboxed call); here the sender copies each
 * call's name and argument JSON into one buffer and the receiver reads them back, and a result's
 * JSON stays bytes all the way into the node's gRPC frame.
 *
 * Everything else (cancels, pings, events, logs, errors) still crosses as structured messages,
 * in the same batch and in order: a batch is an array whose elements are messages or these buffers.
 *
 * Calls (host → sandbox): `C`, then per call: id u32, deadline f64, kind u8 (0 query, 1 view),
 * progress u8, name length u16, args length u32, name (UTF-8), args (JSON, UTF-8).
 * Results (sandbox → host): `R`, then per result: id u32, length u32, JSON bytes.
 * A view result (sandbox → host): `V`, id u32, content type length u8, content type (ASCII), body
 * (the rest): one per buffer, as `encodeResult` made it (a view may be up to `maxResultBytes`).
 * Little-endian throughout. The host reads results as untrusted input: a malformed buffer is a
 * protocol violation (`unpackResults` returns false), never an out-of-bounds read.
 */
import { SPLIT_BYTES } from './channel-limits.ts';
import type {
  CallKind,
  ChildBatch,
  ChildQueued,
  ParentBatch,
  ParentMessage,
  ResultMessage,
  ViewResultMessage,
} from './protocol.ts';

const CALLS = 0x43; // 'C'
const RESULTS = 0x52; // 'R'
const VIEW = 0x56; // 'V'
const VIEW_HEAD = 1 + 4 + 1;
const CALL_HEAD = 4 + 8 + 1 + 1 + 2 + 4;
const RESULT_HEAD = 4 + 4;
const MAX_NAME = 0xffff;

/** A call as the sandbox reads it: also the HostCall its runtime runs (no copy per call). */
export interface UnpackedCall {
  readonly type: 'call';
  readonly id: number;
  readonly kind: CallKind;
  readonly name: string;
  readonly args: unknown;
  readonly deadline: number;
  readonly progress: boolean;
}

/** What the host packs: the request (its id already stamped) and its arguments as JSON text. */
export interface CallToPack {
  readonly id: number;
  readonly kind: CallKind;
  readonly name: string;
  readonly deadline: number;
  readonly progress: boolean;
}

/** A JSON result as the sandbox packs it. */
export interface ResultToPack {
  readonly id: number;
  readonly encoded: string | Uint8Array;
}

/**
 * A fresh buffer of exactly `size` bytes: structured clone copies a view's whole ArrayBuffer,
 * so a slice of Node's shared pool would drag the pool along.
 */
function exact(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size);
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Whether a call's name fits the format (names are identifiers; a huge one goes unpacked). */
export function packableName(name: string): boolean {
  return name.length * 3 <= MAX_NAME;
}

/** Packs calls with their arguments' JSON, text or UTF-8 bytes (`args[i]` belongs to `calls[i]`). */
export function packCalls(calls: readonly CallToPack[], args: readonly (string | Uint8Array)[]): Buffer {
  let size = 1;
  for (let i = 0; i < calls.length; i++) size += CALL_HEAD + Buffer.byteLength(calls[i]!.name) + jsonLength(args[i]!);
  const buf = exact(size);
  buf[0] = CALLS;
  let at = 1;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    buf.writeUInt32LE(c.id, at);
    buf.writeDoubleLE(c.deadline, at + 4);
    buf[at + 12] = c.kind === 'view' ? 1 : 0;
    buf[at + 13] = c.progress ? 1 : 0;
    const nameAt = at + CALL_HEAD;
    const nameLength = buf.write(c.name, nameAt);
    const json = args[i]!;
    const argsLength = typeof json === 'string' ? buf.write(json, nameAt + nameLength) : copy(json, buf, nameAt + nameLength);
    buf.writeUInt16LE(nameLength, at + 14);
    buf.writeUInt32LE(argsLength, at + 16);
    at = nameAt + nameLength + argsLength;
  }
  return buf;
}

/** Whether a batch element is packed calls (in the sandbox). */
export function isPackedCalls(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length > 0 && v[0] === CALLS;
}

/** Reads packed calls (written by the host, so trusted; arguments parse as JSON). */
export function unpackCalls(bytes: Uint8Array): UnpackedCall[] {
  const buf = view(bytes);
  const calls: UnpackedCall[] = [];
  let at = 1;
  while (at + CALL_HEAD <= buf.length) {
    const nameAt = at + CALL_HEAD;
    const argsAt = nameAt + buf.readUInt16LE(at + 14);
    const end = argsAt + buf.readUInt32LE(at + 16);
    calls.push({
      type: 'call',
      id: buf.readUInt32LE(at),
      deadline: buf.readDoubleLE(at + 4),
      kind: buf[at + 12] === 1 ? 'view' : 'query',
      progress: buf[at + 13] === 1,
      name: buf.toString('utf8', nameAt, argsAt),
      args: JSON.parse(buf.toString('utf8', argsAt, end)) as unknown,
    });
    at = end;
  }
  return calls;
}

/** Packs JSON results. */
export function packResults(results: readonly ResultToPack[]): Buffer {
  let size = 1;
  for (const r of results)
    size += RESULT_HEAD + (typeof r.encoded === 'string' ? Buffer.byteLength(r.encoded) : r.encoded.length);
  const buf = exact(size);
  buf[0] = RESULTS;
  let at = 1;
  for (const r of results) {
    buf.writeUInt32LE(r.id, at);
    const length =
      typeof r.encoded === 'string' ? buf.write(r.encoded, at + RESULT_HEAD) : copy(r.encoded, buf, at + RESULT_HEAD);
    buf.writeUInt32LE(length, at + 4);
    at += RESULT_HEAD + length;
  }
  return buf;
}

function jsonLength(json: string | Uint8Array): number {
  return typeof json === 'string' ? Buffer.byteLength(json) : json.length;
}

function copy(from: Uint8Array, to: Buffer, at: number): number {
  to.set(from, at);
  return from.length;
}

/** Whether a batch element is packed results (in the host). */
export function isPackedResults(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length > 0 && v[0] === RESULTS;
}

/**
 * Reads packed results from a sandbox, handing each to `each` as a view of the buffer (no copy).
 * Returns false, having handed over nothing, if the buffer is malformed.
 */
export function unpackResults(bytes: Uint8Array, each: (id: number, json: Uint8Array) => void): boolean {
  const buf = view(bytes);
  // Check the whole buffer first: a bad one is refused as a whole, not half delivered.
  let at = 1;
  while (at < buf.length) {
    if (at + RESULT_HEAD > buf.length) return false;
    at += RESULT_HEAD + buf.readUInt32LE(at + 4);
    if (at > buf.length) return false;
  }
  at = 1;
  while (at < buf.length) {
    const end = at + RESULT_HEAD + buf.readUInt32LE(at + 4);
    each(buf.readUInt32LE(at), buf.subarray(at + RESULT_HEAD, end));
    at = end;
  }
  return true;
}

/**
 * A host's batch as posted: each run of calls becomes one buffer, in place, so calls and the
 * messages around them (names before a call, a cancel after it) keep their order. Arguments
 * cross as JSON, as they do between nodes; a call whose arguments are not JSON at all (a
 * BigInt, a cycle) goes as a message and fails in the sandbox's validation as it always did.
 */
export function packRequests(queue: ParentMessage[]): ParentBatch {
  const out: ParentBatch = [];
  let run: CallToPack[] = [];
  let args: (string | Uint8Array)[] = [];
  for (const m of queue) {
    // A call with a memo scope (rare: memoized and restricted) keeps its extra field as a message.
    const packable = m.type === 'call' && m.memoScope === undefined && packableName(m.name);
    // The caller's own bytes when the node kept its parse of them (call-stream-server.ts): no re-encoding.
    const json = packable ? (m.argsJson ?? argsJson(m.args)) : undefined;
    if (json !== undefined) {
      run.push(m as CallToPack);
      args.push(json);
      continue;
    }
    if (run.length > 0) {
      out.push(packCalls(run, args));
      run = [];
      args = [];
    }
    out.push(m.type === 'call' && m.argsJson !== undefined ? { ...m, argsJson: undefined } : m);
  }
  if (run.length > 0) out.push(packCalls(run, args));
  return out;
}

function argsJson(args: unknown): string | undefined {
  try {
    return JSON.stringify(args);
  } catch {
    return undefined;
  }
}

/**
 * A sandbox's batch as posted: each run of JSON results becomes one buffer, in place. A run is cut
 * at SPLIT_BYTES (counting a string's UTF-16 units thrice, its most UTF-8 bytes), so a buffer is one
 * result or several up to that: what a frame the node reads may hold (channel-limits.ts).
 */
export function packAnswers(queue: ChildQueued[]): ChildBatch {
  const out: ChildBatch = [];
  let run: ResultMessage[] = [];
  let runBytes = 0;
  for (const m of queue) {
    if (m.type === 'result') {
      const bytes = typeof m.encoded === 'string' ? m.encoded.length * 3 : m.encoded.length;
      if (run.length > 0 && runBytes + bytes > SPLIT_BYTES) {
        out.push(packResults(run));
        run = [];
        runBytes = 0;
      }
      run.push(m);
      runBytes += bytes;
      continue;
    }
    if (run.length > 0) {
      out.push(packResults(run));
      run = [];
      runBytes = 0;
    }
    out.push(m.type === 'view-result' ? packView(m) : m);
  }
  if (run.length > 0) out.push(packResults(run));
  return out;
}

/** Packs one view result (its content type is one of the codec's: short ASCII). */
export function packView(v: ViewResultMessage): Buffer {
  const type = Buffer.from(v.contentType, 'latin1');
  const buf = exact(VIEW_HEAD + type.length + v.data.length);
  buf[0] = VIEW;
  buf.writeUInt32LE(v.id, 1);
  buf[5] = type.length;
  buf.set(type, VIEW_HEAD);
  buf.set(v.data, VIEW_HEAD + type.length);
  return buf;
}

/** Whether a batch element is a packed view result (in the host). */
export function isPackedView(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length > 0 && v[0] === VIEW;
}

/** Reads a packed view result from a sandbox (its body a view of the buffer, no copy); undefined if malformed. */
export function unpackView(bytes: Uint8Array): { id: number; contentType: string; data: Uint8Array } | undefined {
  const buf = view(bytes);
  if (buf.length < VIEW_HEAD || buf.length < VIEW_HEAD + buf[5]!) return undefined;
  const bodyAt = VIEW_HEAD + buf[5]!;
  return { id: buf.readUInt32LE(1), contentType: buf.toString('latin1', VIEW_HEAD, bodyAt), data: buf.subarray(bodyAt) };
}
