import { connect, NodeConnection } from '@insights/client';
import { readTrackingLogBatches } from '@insights/module-edx/lib';
import { InsightsError } from '@insights/sdk';
import { SingleBar, Presets } from 'cli-progress';
import { meshOptions, type MeshFlags } from '../nodes-option.ts';

export interface ImportOptions extends MeshFlags {
  batch?: string;
  token?: string;
  quiet?: boolean;
}

/** Events per chunk sent to the node: large enough that per-message costs vanish, small enough to pipeline. */
export const DEFAULT_IMPORT_BATCH = 1000;
/**
 * A chunk is sent early once its events reach this size, well under a node's maxRequestBytes:
 * what the node holds per chunk in hand (its parsed and normalised copies, the sandbox's answer)
 * grows with it, and buffers this size or larger land in malloc's main heap, which fragments.
 */
export const MAX_CHUNK_BYTES = 256 * 1024;

/**
 * `insights events import <file|->`: streams a tracking log (.log, .gz, JSON lines, Tutor-style
 * prefixed lines) to a node in chunks, with a progress bar, and ends with a summary. Bad lines
 * are counted and listed by number; they never stop the import. Chunks are pipelined: the file is
 * read while earlier chunks are on their way, and reading waits whenever the stream's buffer is
 * full (the node reads a few chunks at a time), so neither side holds more than a few chunks.
 */
export async function runEventsImport(file: string, opts: ImportOptions): Promise<void> {
  const batchSize = Number(opts.batch ?? DEFAULT_IMPORT_BATCH);
  if (!(batchSize > 0))
    throw new InsightsError('INVALID_ARGUMENT', '--batch must be a positive number of events', { parameter: 'batch' });
  const address = await pickNode(opts);
  const node = new NodeConnection(address);
  const started = Date.now();
  const bar =
    process.stderr.isTTY && !opts.quiet
      ? new SingleBar(
          { format: ' importing [{bar}] {percentage}% | {lines} lines | {rate} lines/s', hideCursor: true },
          Presets.shades_classic,
        )
      : undefined;
  let lines = 0;
  let skipped = 0;
  // The first bad lines are listed; the rest only counted (memory stays flat on a broken file).
  const bad: { line: number; reason: string }[] = [];
  let badLines = 0;
  let events = 0;
  const ingest = await node.ingestStream(opts.token ?? process.env.INSIGHTS_INGEST_TOKEN ?? '');
  let chunk: Uint8Array[] = [];
  let chunkBytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const full = !ingest.write(chunk);
    chunk = [];
    chunkBytes = 0;
    // The stream's buffer is full (the node reads a few chunks at a time): read no further until it drains.
    if (full) await new Promise((r) => ingest.stream.once('drain', r));
  };
  try {
    bar?.start(100, 0, { lines: 0, rate: 0 });
    for await (const batch of readTrackingLogBatches(file, {
      onProgress: (p) => {
        if (bar === undefined) return;
        const pct = p.totalBytes ? Math.floor((p.bytesRead / p.totalBytes) * 100) : 0;
        bar.update(pct, { lines: p.lines, rate: Math.round(p.lines / Math.max(0.001, (Date.now() - started) / 1000)) });
      },
    })) {
      for (const l of batch) {
        lines = l.line;
        if (l.kind === 'skip') skipped++;
        else if (l.kind === 'error') {
          if (badLines++ < 10) bad.push({ line: l.line, reason: l.reason });
        } else {
          events++;
          const bytes = Buffer.from(JSON.stringify(l.event));
          chunk.push(bytes);
          chunkBytes += bytes.length;
          if (chunk.length >= batchSize || chunkBytes >= MAX_CHUNK_BYTES) await flush();
        }
      }
    }
    await flush();
    const r = await ingest.end();
    bar?.update(100);
    bar?.stop();
    const secs = (Date.now() - started) / 1000;
    const summary = {
      file,
      node: address,
      lines,
      events,
      blankOrComment: skipped,
      badLines,
      accepted: r.accepted,
      duplicates: r.duplicates,
      rejectedByNode: r.rejected.length,
      seconds: Number(secs.toFixed(2)),
      linesPerSecond: Math.round(lines / Math.max(secs, 0.001)),
    };
    process.stderr.write(
      `imported ${file}: ${lines} lines, ${events} events sent, ${r.accepted} accepted, ${r.duplicates} duplicates dropped, ${badLines} bad lines, ${r.rejected.length} rejected by the node (${summary.seconds}s)\n`,
    );
    for (const b of bad) process.stderr.write(`  line ${b.line}: ${b.reason}\n`);
    if (badLines > bad.length) process.stderr.write(`  ... and ${badLines - bad.length} more bad lines\n`);
    for (const x of r.rejected.slice(0, 10)) process.stderr.write(`  event ${x.index + 1}: ${x.message}\n`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    bar?.stop();
    node.close();
  }
}

async function pickNode(opts: MeshFlags): Promise<string> {
  if (opts.node !== undefined && opts.node.length > 0) return opts.node[0] as string;
  const mesh = await connect(meshOptions(opts));
  try {
    const n = (await mesh.describe()).nodes.find((x) => x.state === 'serving');
    if (n === undefined) throw new InsightsError('UNAVAILABLE', 'no serving node found in the mesh to import into');
    return n.address;
  } finally {
    await mesh.close();
  }
}
