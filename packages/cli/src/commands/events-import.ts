import { connect, NodeConnection } from '@insights/client';
import { readTrackingLog } from '@insights/module-edx/lib';
import { InsightsError } from '@insights/sdk';
import { SingleBar, Presets } from 'cli-progress';
import { meshOptions, type MeshFlags } from '../nodes-option.ts';

export interface ImportOptions extends MeshFlags {
  batch?: string;
  token?: string;
  quiet?: boolean;
}

/**
 * `insights events import <file|->`: streams a tracking log (.log, .gz, JSON lines, Tutor-style
 * prefixed lines) to a node in chunks, with a progress bar, and ends with a summary. Bad lines
 * are counted and listed by number; they never stop the import.
 */
export async function runEventsImport(file: string, opts: ImportOptions): Promise<void> {
  const batchSize = Number(opts.batch ?? 500);
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
  const bad: { line: number; reason: string }[] = [];
  let events = 0;
  const ingest = await node.ingestStream(opts.token ?? process.env.INSIGHTS_INGEST_TOKEN ?? '');
  let chunk: Uint8Array[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    if (!ingest.write(chunk)) await new Promise((r) => ingest.stream.once('drain', r));
    chunk = [];
  };
  try {
    bar?.start(100, 0, { lines: 0, rate: 0 });
    for await (const l of readTrackingLog(file, {
      onProgress: (p) => {
        if (bar === undefined) return;
        const pct = p.totalBytes ? Math.floor((p.bytesRead / p.totalBytes) * 100) : 0;
        bar.update(pct, { lines: p.lines, rate: Math.round(p.lines / Math.max(0.001, (Date.now() - started) / 1000)) });
      },
    })) {
      lines = l.line;
      if (l.kind === 'skip') skipped++;
      else if (l.kind === 'error') bad.push({ line: l.line, reason: l.reason });
      else {
        events++;
        chunk.push(Buffer.from(JSON.stringify(l.event)));
        if (chunk.length >= batchSize) await flush();
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
      badLines: bad.length,
      accepted: r.accepted,
      duplicates: r.duplicates,
      rejectedByNode: r.rejected.length,
      seconds: Number(secs.toFixed(2)),
      linesPerSecond: Math.round(lines / Math.max(secs, 0.001)),
    };
    process.stderr.write(
      `imported ${file}: ${lines} lines, ${events} events sent, ${r.accepted} accepted, ${r.duplicates} duplicates dropped, ${bad.length} bad lines, ${r.rejected.length} rejected by the node (${summary.seconds}s)\n`,
    );
    for (const b of bad.slice(0, 10)) process.stderr.write(`  line ${b.line}: ${b.reason}\n`);
    if (bad.length > 10) process.stderr.write(`  ... and ${bad.length - 10} more bad lines\n`);
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
