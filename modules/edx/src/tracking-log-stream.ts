/**
 * Streams a tracking log line by line with constant memory: a file path (`.log`, or gzip, detected
 * by its magic bytes so `.gz` and gzipped stdin both work), `-` for stdin, or any byte stream.
 * Lines are split on raw bytes (`\n` never occurs inside a UTF-8 multi-byte sequence), so only
 * one line at a time is ever decoded and held.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseTrackingLogLine } from './tracking-log.ts';
import type { ParsedLine } from './tracking-log.ts';

/** Lines longer than this are reported as errors and skipped instead of buffered without bound. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

export interface TrackingLogProgress {
  /** Bytes consumed from the source (compressed bytes for gzip, so it compares with the file size). */
  readonly bytesRead: number;
  /** Size of the source file; undefined for stdin and streams. */
  readonly totalBytes: number | undefined;
  /** Lines seen so far, including blank, comment and bad lines. */
  readonly lines: number;
}

export interface ReadTrackingLogOptions {
  readonly signal?: AbortSignal | undefined;
  /** Called after every chunk read and once at the end; drive a progress bar from it. */
  readonly onProgress?: ((progress: TrackingLogProgress) => void) | undefined;
  readonly maxLineBytes?: number | undefined;
}

export type TrackingLogInput = string | AsyncIterable<Uint8Array>;

/**
 * Yields every line of the log as a `ParsedLine`, in order: events, skipped blank/comment lines
 * and parse errors (with their 1-based line numbers). Breaking out of the loop closes the source.
 * `readTrackingLogBatches` yields the same lines a chunk at a time, which is cheaper per line.
 */
export async function* readTrackingLog(
  input: TrackingLogInput,
  options: ReadTrackingLogOptions = {},
): AsyncGenerator<ParsedLine, void, undefined> {
  for await (const batch of readTrackingLogBatches(input, options)) {
    for (const line of batch) yield line;
  }
}

/**
 * The lines of `readTrackingLog`, in order, as one array per chunk read (a few hundred lines of a
 * typical log; never empty): one await per chunk instead of one per line. Memory stays bounded
 * by the chunk size. `onProgress` is called once the consumer has taken each batch, and the
 * signal is checked before each chunk. Breaking out of the loop closes the source.
 */
export async function* readTrackingLogBatches(
  input: TrackingLogInput,
  options: ReadTrackingLogOptions = {},
): AsyncGenerator<ParsedLine[], void, undefined> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const { signal, onProgress } = options;
  signal?.throwIfAborted();

  let totalBytes: number | undefined;
  let source: AsyncIterable<Uint8Array>;
  if (typeof input === 'string') {
    if (input === '-') {
      source = process.stdin;
    } else {
      totalBytes = (await stat(input)).size;
      source = createReadStream(input, { highWaterMark: READ_CHUNK_BYTES });
    }
  } else {
    source = input;
  }

  let bytesRead = 0;
  let lineNo = 0;
  const progress = (): void => onProgress?.({ bytesRead, totalBytes, lines: lineNo });
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      bytesRead += chunk.length;
      yield chunk;
    }
  }

  const bytes = await maybeGunzip(counted());
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let tooLong = false;
  try {
    for await (const raw of bytes.iterable) {
      signal?.throwIfAborted();
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const batch: ParsedLine[] = [];
      let start = 0;
      let nl = chunk.indexOf(NEWLINE, start);
      while (nl >= 0) {
        lineNo++;
        if (tooLong || pendingBytes + (nl - start) > maxLineBytes) {
          batch.push(tooLongError(lineNo, maxLineBytes));
        } else if (pendingBytes === 0) {
          batch.push(parseTrackingLogLine(chunk.toString('utf8', start, nl), lineNo));
        } else {
          pending.push(chunk.subarray(start, nl));
          batch.push(parseTrackingLogLine(Buffer.concat(pending).toString('utf8'), lineNo));
        }
        pending = [];
        pendingBytes = 0;
        tooLong = false;
        start = nl + 1;
        nl = chunk.indexOf(NEWLINE, start);
      }
      if (start < chunk.length && !tooLong) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxLineBytes) {
          tooLong = true;
          pending = [];
        }
      }
      if (batch.length > 0) yield batch;
      progress();
    }
    // A last line without a trailing newline.
    if (tooLong || pendingBytes > 0) {
      lineNo++;
      yield [
        tooLong ? tooLongError(lineNo, maxLineBytes) : parseTrackingLogLine(Buffer.concat(pending).toString('utf8'), lineNo),
      ];
    }
    progress();
  } finally {
    bytes.close();
  }
}

function tooLongError(line: number, maxLineBytes: number): ParsedLine {
  return { kind: 'error', ok: false, line, reason: `line longer than ${maxLineBytes} bytes` };
}

interface ByteSource {
  readonly iterable: AsyncIterable<Uint8Array>;
  close(): void;
}

/** Peeks at the first chunk: gzip magic (1f 8b) means the rest goes through a streaming gunzip. */
async function maybeGunzip(source: AsyncGenerator<Uint8Array>): Promise<ByteSource> {
  const first = await source.next();
  if (first.done) return { iterable: source, close: () => void source.return(undefined) };
  const head = first.value;
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield head;
    yield* source;
  }
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    const it = replay();
    return { iterable: it, close: () => void it.return(undefined) };
  }
  const compressed = Readable.from(replay(), { objectMode: false });
  const gunzip = createGunzip();
  // pipeline forwards a source or gunzip error to the iterator of `gunzip`, which rethrows it.
  pipeline(compressed, gunzip, () => {});
  return {
    iterable: gunzip,
    close: () => {
      compressed.destroy();
      gunzip.destroy();
    },
  };
}
