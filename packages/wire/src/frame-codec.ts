/**
 * Hand-written protobuf codec for CallStream's CallFrame and ResultFrame: the same bytes as the
 * proto contract (foreign clients keep using it through reflection), without protobufjs's
 * fromObject/toObject passes and its per-field writer objects. Argument and result JSON may be
 * given as strings and are written straight into the frame; decoded bytes are views of the
 * received buffer. Profiles of the call path put the generic codec at about a tenth of the
 * node's CPU; this is the one place the mesh trades generality for speed.
 */
import type { WireErrorDetail, WireProgress, WireResult, WireStreamCall } from './messages.ts';
import { FIXED64, LEN, Reader, Sizer, tag, VARINT, Writer, type ProtoOut } from './proto-buffer.ts';

/** A call as the client puts it on the stream: JSON arguments as bytes or as a string. */
export type OutgoingStreamCall = Omit<WireStreamCall, 'argsJson'> & { readonly argsJson: Uint8Array | string };
/** A result as the node puts it on the stream: data as bytes or, for JSON, a string. */
export type OutgoingResult = Omit<WireResult, 'data'> & { readonly data: Uint8Array | string };
export type OutgoingStreamResult =
  | { readonly id: number; readonly result: OutgoingResult; readonly error?: undefined }
  | { readonly id: number; readonly error: WireErrorDetail; readonly result?: undefined };

export interface OutgoingCallFrame {
  readonly calls: readonly OutgoingStreamCall[];
  readonly cancel: readonly number[];
}
export interface OutgoingResultFrame {
  readonly results: readonly OutgoingStreamResult[];
  readonly progress: readonly WireProgress[];
}

/** A decoded result: exactly one of `result` and `error` is set. */
export interface DecodedStreamResult {
  id: number;
  result: WireResult | null;
  error: WireErrorDetail | null;
}
export interface DecodedCallFrame {
  calls: WireStreamCall[];
  cancel: number[];
  /** Set when the bytes were no CallFrame (see decodeCallFrameSafely): why. */
  malformed?: string;
}

/**
 * Calls decoded from one frame at most: past it the frame is malformed. Each decoded call is an
 * object; a 4 MB frame of empty calls would otherwise be a million of them before any limit of
 * the node's (limits.maxCallsPerFrame) could look at the count.
 */
export const MAX_DECODED_CALLS = 65_536;
export interface DecodedResultFrame {
  results: DecodedStreamResult[];
  progress: WireProgress[];
}

// Tags of the fields we write (field number << 3 | wire type).
const T_FRAME_CALLS = tag(1, LEN);
const T_FRAME_CANCEL = tag(2, LEN);
/** The same field from encoders that do not pack repeated scalars. */
const T_FRAME_CANCEL_UNPACKED = tag(2, VARINT);
const T_CALL_ID = tag(1, VARINT);
const T_CALL_KIND = tag(2, VARINT);
const T_CALL_NAME = tag(3, LEN);
const T_CALL_ARGS = tag(4, LEN);
const T_CALL_TIMEOUT = tag(5, VARINT);
const T_CALL_CAPABILITY = tag(6, LEN);
const T_CALL_PROGRESS = tag(7, VARINT);
const T_CALL_TRACE = tag(8, LEN);
const T_CALL_PARENT = tag(9, LEN);
const T_RFRAME_RESULTS = tag(1, LEN);
const T_RFRAME_PROGRESS = tag(2, LEN);
const T_RESULT_ID = tag(1, VARINT);
const T_RESULT_OK = tag(2, LEN);
const T_RESULT_ERROR = tag(3, LEN);
const T_OK_TYPE = tag(1, LEN);
const T_OK_DATA = tag(2, LEN);
const T_ERR_CODE = tag(1, LEN);
const T_ERR_MESSAGE = tag(2, LEN);
const T_ERR_PARAMETER = tag(3, LEN);
const T_ERR_SUGGESTION = tag(4, LEN);
const T_ERR_ANALYTIC = tag(5, LEN);
const T_ERR_STATUS = tag(6, VARINT);
const T_PROGRESS_ID = tag(1, VARINT);
const T_PROGRESS_FRACTION = tag(2, FIXED64);
const T_PROGRESS_MESSAGE = tag(3, LEN);

// ---- CallFrame ----

function walkCall(out: ProtoOut, c: OutgoingStreamCall): void {
  out.varintField(T_CALL_ID, c.id);
  out.varintField(T_CALL_KIND, c.kind);
  out.bytesField(T_CALL_NAME, c.name);
  out.bytesField(T_CALL_ARGS, c.argsJson);
  out.varintField(T_CALL_TIMEOUT, c.timeoutMs);
  out.bytesField(T_CALL_CAPABILITY, c.capability);
  out.varintField(T_CALL_PROGRESS, c.wantProgress ? 1 : 0);
  out.bytesField(T_CALL_TRACE, c.traceparent ?? '');
  out.bytesField(T_CALL_PARENT, c.parentCall ?? '');
}

/** Both passes (measure, then write) walk the frame the same way. */
function walkCallFrame(out: ProtoOut, frame: OutgoingCallFrame): void {
  for (const c of frame.calls) {
    const mark = out.begin(T_FRAME_CALLS);
    walkCall(out, c);
    out.end(T_FRAME_CALLS, mark);
  }
  // Packed, as proto3 writes repeated scalars.
  out.packed(T_FRAME_CANCEL, frame.cancel);
}

export function encodeCallFrame(frame: OutgoingCallFrame): Buffer {
  return encodeWith(walkCallFrame, frame);
}

/** Measures, then writes into one exactly-sized Buffer. */
function encodeWith<F>(walk: (out: ProtoOut, frame: F) => void, frame: F): Buffer {
  const sizer = new Sizer();
  walk(sizer, frame);
  const w = new Writer(sizer);
  walk(w, frame);
  return w.buf;
}

export function decodeCallFrame(buf: Buffer): DecodedCallFrame {
  const r = new Reader(buf);
  const frame: DecodedCallFrame = { calls: [], cancel: [] };
  while (!r.done) {
    const t = r.varint();
    if (t === T_FRAME_CALLS) {
      if (frame.calls.length === MAX_DECODED_CALLS)
        throw new RangeError(`protobuf: a CallFrame carries more than ${MAX_DECODED_CALLS} calls`);
      const start = r.span();
      frame.calls.push(decodeCall(new Reader(buf, start, r.pos)));
    } else if (t === T_FRAME_CANCEL) {
      const start = r.span();
      const ids = new Reader(buf, start, r.pos);
      while (!ids.done) frame.cancel.push(ids.varint());
    } else if (t === T_FRAME_CANCEL_UNPACKED) frame.cancel.push(r.varint());
    else r.skip(t & 7);
  }
  return frame;
}

/**
 * The server's deserializer: bytes that are no CallFrame become an empty frame that says why, so
 * the node answers INVALID_ARGUMENT (grpc-js would answer a throwing deserializer INTERNAL).
 */
export function decodeCallFrameSafely(buf: Buffer): DecodedCallFrame {
  try {
    return decodeCallFrame(buf);
  } catch (e) {
    return { calls: [], cancel: [], malformed: (e as Error).message };
  }
}

const EMPTY = Buffer.alloc(0);

function decodeCall(r: Reader): WireStreamCall {
  const c: WireStreamCall = {
    id: 0,
    kind: 0,
    name: '',
    argsJson: EMPTY,
    timeoutMs: 0,
    capability: '',
    wantProgress: false,
    traceparent: '',
    parentCall: '',
  };
  while (!r.done) {
    const t = r.varint();
    switch (t) {
      case T_CALL_ID:
        c.id = r.varint();
        break;
      case T_CALL_KIND:
        c.kind = r.varint();
        break;
      case T_CALL_NAME:
        c.name = r.string();
        break;
      case T_CALL_ARGS:
        c.argsJson = r.bytes();
        break;
      case T_CALL_TIMEOUT:
        c.timeoutMs = r.varint();
        break;
      case T_CALL_CAPABILITY:
        c.capability = r.string();
        break;
      case T_CALL_PROGRESS:
        c.wantProgress = r.varint() !== 0;
        break;
      case T_CALL_TRACE:
        c.traceparent = r.string();
        break;
      case T_CALL_PARENT:
        c.parentCall = r.string();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return c;
}

// ---- ResultFrame ----

function walkError(out: ProtoOut, e: WireErrorDetail): void {
  out.bytesField(T_ERR_CODE, e.code);
  out.bytesField(T_ERR_MESSAGE, e.message);
  out.bytesField(T_ERR_PARAMETER, e.parameter);
  for (const s of e.suggestions) out.bytesField(T_ERR_SUGGESTION, s);
  out.bytesField(T_ERR_ANALYTIC, e.analytic);
  out.varintField(T_ERR_STATUS, e.grpcStatus);
}

function walkResult(out: ProtoOut, r: OutgoingStreamResult): void {
  out.varintField(T_RESULT_ID, r.id);
  // The oneof member is written even when empty: its presence is the outcome.
  if (r.result !== undefined) {
    const inner = out.begin(T_RESULT_OK);
    out.bytesField(T_OK_TYPE, r.result.contentType);
    out.bytesField(T_OK_DATA, r.result.data);
    out.end(T_RESULT_OK, inner);
  } else {
    const inner = out.begin(T_RESULT_ERROR);
    walkError(out, r.error);
    out.end(T_RESULT_ERROR, inner);
  }
}

function walkResultFrame(out: ProtoOut, frame: OutgoingResultFrame): void {
  for (const r of frame.results) {
    const mark = out.begin(T_RFRAME_RESULTS);
    walkResult(out, r);
    out.end(T_RFRAME_RESULTS, mark);
  }
  for (const p of frame.progress) {
    const mark = out.begin(T_RFRAME_PROGRESS);
    out.varintField(T_PROGRESS_ID, p.id);
    out.double(T_PROGRESS_FRACTION, p.fraction);
    out.bytesField(T_PROGRESS_MESSAGE, p.message);
    out.end(T_RFRAME_PROGRESS, mark);
  }
}

export function encodeResultFrame(frame: OutgoingResultFrame): Buffer {
  return encodeWith(walkResultFrame, frame);
}

export function decodeResultFrame(buf: Buffer): DecodedResultFrame {
  const r = new Reader(buf);
  const frame: DecodedResultFrame = { results: [], progress: [] };
  while (!r.done) {
    const t = r.varint();
    if (t === T_RFRAME_RESULTS) {
      const start = r.span();
      frame.results.push(decodeStreamResult(new Reader(buf, start, r.pos)));
    } else if (t === T_RFRAME_PROGRESS) {
      const start = r.span();
      frame.progress.push(decodeProgress(new Reader(buf, start, r.pos)));
    } else r.skip(t & 7);
  }
  return frame;
}

function decodeStreamResult(r: Reader): DecodedStreamResult {
  const out: DecodedStreamResult = { id: 0, result: null, error: null };
  while (!r.done) {
    const t = r.varint();
    if (t === T_RESULT_ID) out.id = r.varint();
    else if (t === T_RESULT_OK) {
      const start = r.span();
      out.result = decodeResult(new Reader(r.buf, start, r.pos));
      out.error = null;
    } else if (t === T_RESULT_ERROR) {
      const start = r.span();
      out.error = decodeError(new Reader(r.buf, start, r.pos));
      out.result = null;
    } else r.skip(t & 7);
  }
  return out;
}

function decodeResult(r: Reader): WireResult {
  const out: WireResult = { contentType: '', data: EMPTY };
  while (!r.done) {
    const t = r.varint();
    if (t === T_OK_TYPE) out.contentType = r.string();
    else if (t === T_OK_DATA) out.data = r.bytes();
    else r.skip(t & 7);
  }
  return out;
}

function decodeError(r: Reader): WireErrorDetail {
  const e: WireErrorDetail = { code: '', message: '', parameter: '', suggestions: [], analytic: '', grpcStatus: 0 };
  while (!r.done) {
    const t = r.varint();
    switch (t) {
      case T_ERR_CODE:
        e.code = r.string();
        break;
      case T_ERR_MESSAGE:
        e.message = r.string();
        break;
      case T_ERR_PARAMETER:
        e.parameter = r.string();
        break;
      case T_ERR_SUGGESTION:
        e.suggestions.push(r.string());
        break;
      case T_ERR_ANALYTIC:
        e.analytic = r.string();
        break;
      case T_ERR_STATUS:
        e.grpcStatus = r.varint();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return e;
}

function decodeProgress(r: Reader): WireProgress {
  const p: WireProgress = { id: 0, fraction: 0, message: '' };
  while (!r.done) {
    const t = r.varint();
    if (t === T_PROGRESS_ID) p.id = r.varint();
    else if (t === T_PROGRESS_FRACTION) p.fraction = r.double();
    else if (t === T_PROGRESS_MESSAGE) p.message = r.string();
    else r.skip(t & 7);
  }
  return p;
}
