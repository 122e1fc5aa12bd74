/**
 * Throughput of parse + normalise, the ingest hot path (target: >= 100,000 lines/s).
 *
 *   npx tsx modules/edx/test/bench-parse-normalise.ts [file.log|file.gz] [repeat]
 *
 * Without a file it replays every real log of ../shared/data (about 2,400 lines, 1 KB each)
 * `repeat` times (default 100) from memory, so only parsing and normalising are measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readTrackingLogBatches, tryNormalise } from '../src/lib.ts';
import type { TrackingLogInput } from '../src/lib.ts';
import { REAL_DATA } from './helpers.ts';

const CHUNK_BYTES = 256 * 1024;

async function* replay(data: Buffer, times: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < times; i++) {
    for (let at = 0; at < data.length; at += CHUNK_BYTES) yield data.subarray(at, at + CHUNK_BYTES);
  }
}

function realLogs(): Buffer {
  const dir = path.join(REAL_DATA, 'edx-tracking');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(dir, f));
  files.push(path.join(REAL_DATA, 'event-routing-backends', 'tutor-tracking.log'));
  // Each file ends with a newline so lines do not merge across files.
  return Buffer.concat(files.map((f) => Buffer.from(readFileSync(f, 'utf8').replace(/\n?$/, '\n'))));
}

async function run(input: () => TrackingLogInput): Promise<void> {
  for (let round = 1; round <= 3; round++) {
    const started = performance.now();
    let lines = 0;
    let envelopes = 0;
    for await (const batch of readTrackingLogBatches(input())) {
      for (const line of batch) {
        lines++;
        if (line.kind === 'event' && tryNormalise(line.event).ok) envelopes++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `round ${round}: ${lines} lines, ${envelopes} envelopes, ${seconds.toFixed(2)} s, ${Math.round(lines / seconds)} lines/s`,
    );
  }
}

const [file, repeat = '100'] = process.argv.slice(2);
if (file !== undefined) {
  await run(() => file);
} else {
  const data = realLogs();
  await run(() => replay(data, Number(repeat)));
}
