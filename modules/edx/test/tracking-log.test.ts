import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrackingLogLine, readTrackingLog, readTrackingLogBatches } from '../src/lib.ts';
import type { ParsedLine, TrackingLogProgress } from '../src/lib.ts';
import { FIXTURES } from './helpers.ts';

async function collect(
  input: Parameters<typeof readTrackingLog>[0],
  options?: Parameters<typeof readTrackingLog>[1],
): Promise<ParsedLine[]> {
  const out: ParsedLine[] = [];
  for await (const line of readTrackingLog(input, options)) out.push(line);
  return out;
}

function summary(lines: readonly ParsedLine[]) {
  return {
    events: lines.filter((l) => l.kind === 'event').length,
    blank: lines.filter((l) => l.kind === 'skip' && l.skip === 'blank').length,
    comment: lines.filter((l) => l.kind === 'skip' && l.skip === 'comment').length,
    errors: lines.filter((l) => l.kind === 'error').map((l) => l.line),
  };
}

describe('tracking log - one line', () => {
  it('parses a plain JSON line', () => {
    const r = parseTrackingLogLine('{"event_type": "x", "time": "2024-01-01T00:00:00"}', 3);
    expect(r).toEqual({ kind: 'event', ok: true, line: 3, event: { event_type: 'x', time: '2024-01-01T00:00:00' } });
  });

  it('strips a logging prefix such as the Tutor format', () => {
    const r = parseTrackingLogLine(
      '2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - {"name": "a"}\r',
      1,
    );
    expect(r).toMatchObject({ kind: 'event', event: { name: 'a' } });
  });

  it('skips blank and comment lines without calling them errors', () => {
    expect(parseTrackingLogLine('', 1)).toEqual({ kind: 'skip', ok: true, line: 1, skip: 'blank' });
    expect(parseTrackingLogLine(' \t\r', 2)).toMatchObject({ skip: 'blank' });
    expect(parseTrackingLogLine('  # note {"not": "json"}', 3)).toMatchObject({ skip: 'comment' });
  });

  it('reports malformed lines as typed errors with their line number', () => {
    expect(parseTrackingLogLine('{"a": ', 9)).toMatchObject({
      kind: 'error',
      ok: false,
      line: 9,
      reason: expect.stringMatching(/^invalid JSON/),
    });
    expect(parseTrackingLogLine('INFO no json here', 4)).toEqual({
      kind: 'error',
      ok: false,
      line: 4,
      reason: 'no JSON object on the line',
    });
    expect(parseTrackingLogLine('[1, 2]', 5)).toMatchObject({ kind: 'error', reason: 'no JSON object on the line' });
    expect(parseTrackingLogLine('prefix - {"a": 1} trailing', 6)).toMatchObject({
      kind: 'error',
      reason: expect.stringMatching(/^invalid JSON/),
    });
  });
});

describe('tracking log - streaming', () => {
  it('counts events, blank, comment and bad lines of our plain fixture', async () => {
    const lines = await collect(path.join(FIXTURES, 'tracking-plain.log'));
    expect(summary(lines)).toEqual({ events: 4, blank: 2, comment: 2, errors: [7] });
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reads the Tutor prefixed format', async () => {
    const lines = await collect(path.join(FIXTURES, 'tracking-tutor.log'));
    expect(summary(lines)).toEqual({ events: 2, blank: 0, comment: 0, errors: [2] });
  });

  it('detects gzip by its magic bytes and streams it', async () => {
    const text = await readFile(path.join(FIXTURES, 'tracking-plain.log'));
    const gz = gzipSync(text);
    const lines = await collect(Readable.from([gz.subarray(0, 10), gz.subarray(10)]));
    expect(summary(lines)).toEqual({ events: 4, blank: 2, comment: 2, errors: [7] });
  });

  it('joins lines split across chunks, multi-byte characters included, and reads a last line without newline', async () => {
    const bytes = Buffer.from('{"a": "é€"}\n{"b": 1}', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b])); // one byte per chunk
    const lines = await collect(Readable.from(chunks));
    expect(lines).toEqual([
      { kind: 'event', ok: true, line: 1, event: { a: 'é€' } },
      { kind: 'event', ok: true, line: 2, event: { b: 1 } },
    ]);
  });

  it('reports byte progress against the file size', async () => {
    const file = path.join(FIXTURES, 'tracking-plain.log');
    const size = (await readFile(file)).length;
    const seen: TrackingLogProgress[] = [];
    await collect(file, { onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)).toEqual({ bytesRead: size, totalBytes: size, lines: 9 });
  });

  it('reports an over-long line as an error and carries on', async () => {
    const long = `{"a": "${'x'.repeat(100)}"}`;
    const lines = await collect(Readable.from([Buffer.from(`${long}\n{"b": 1}\n${long}`)]), { maxLineBytes: 50 });
    expect(lines.map((l) => l.kind)).toEqual(['error', 'event', 'error']);
    expect(lines[0]).toMatchObject({ line: 1, reason: 'line longer than 50 bytes' });
  });

  it('stops reading when aborted', async () => {
    const controller = new AbortController();
    const lines: ParsedLine[] = [];
    const run = async () => {
      for await (const l of readTrackingLog(Readable.from([Buffer.from('{"a":1}\n'), Buffer.from('{"b":2}\n')]), {
        signal: controller.signal,
      })) {
        lines.push(l);
        controller.abort();
      }
    };
    await expect(run()).rejects.toThrow();
    expect(lines).toHaveLength(1);
  });
});

describe('tracking log - batches', () => {
  async function batches(
    input: Parameters<typeof readTrackingLogBatches>[0],
    options?: Parameters<typeof readTrackingLogBatches>[1],
  ) {
    const out: ParsedLine[][] = [];
    for await (const batch of readTrackingLogBatches(input, options)) out.push(batch);
    return out;
  }

  it('yields the lines of readTrackingLog, in order, as non-empty arrays', async () => {
    const file = path.join(FIXTURES, 'tracking-plain.log');
    const got = await batches(file);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((b) => b.length > 0)).toBe(true);
    expect(got.flat()).toEqual(await collect(file));
  });

  it('splits on chunks: lines across chunk boundaries, bad lines and a last line without newline', async () => {
    const text = '{"a": "é€"}\n\nnot json\n{"b": 1}\n# c\n{"c": 2}';
    const bytes = Buffer.from(text, 'utf8');
    const chunks = [bytes.subarray(0, 5), bytes.subarray(5, 20), bytes.subarray(20)];
    const got = await batches(Readable.from(chunks));
    expect(got.flat()).toEqual(await collect(Readable.from([bytes])));
    expect(got.flat().map((l) => [l.line, l.kind])).toEqual([
      [1, 'event'],
      [2, 'skip'],
      [3, 'error'],
      [4, 'event'],
      [5, 'skip'],
      [6, 'event'],
    ]);
    expect(got.map((b) => b.length)).toEqual([2, 3, 1]); // no batch for a chunk without a newline; the last line on its own
  });

  it('reports progress once the consumer has taken each batch', async () => {
    const seen: number[] = [];
    const taken: number[] = [];
    for await (const batch of readTrackingLogBatches(
      Readable.from([Buffer.from('{"a":1}\n{"b":2}\n'), Buffer.from('{"c":3}\n')]),
      {
        onProgress: (p) => seen.push(p.lines),
      },
    )) {
      taken.push(batch.length);
      expect(seen).toHaveLength(taken.length - 1);
    }
    expect(taken).toEqual([2, 1]);
    expect(seen).toEqual([2, 3, 3]);
  });
});
