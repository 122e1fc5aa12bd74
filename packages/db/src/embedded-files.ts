/**
 * On-disk layout of one collection (a directory):
 *
 *   snapshot.jsonl        {"v":1,"gen":G,"indexes":[...]} / one document per line / {"end":count}
 *   journal-<N>.jsonl     one record per line: {"p":doc} put, {"d":id} delete,
 *                         {"ci":indexDef} create index, {"di":name} drop index
 *
 * A snapshot with generation G holds every change from journals numbered below G. Compaction
 * starts journal G, writes the snapshot to a temp file, syncs, renames, then deletes older
 * journals, so a crash at any step leaves a snapshot plus the journals to replay over it.
 * Replaying is idempotent (puts and deletes by `_id`).
 */
import { open, readdir, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Document } from '@insights/sdk';
import { decodeValue, encodeValue, reviveValue } from './codec.ts';
import { syncDir } from './embedded-journal.ts';
import type { IndexDef } from './embedded-index.ts';
import { DbError, messageOf } from './errors.ts';

export const SNAPSHOT_FILE = 'snapshot.jsonl';
const SNAPSHOT_TMP = 'snapshot.jsonl.tmp';
const JOURNAL_RE = /^journal-(\d{8})\.jsonl$/;
/** Bytes per write while streaming a snapshot out; other work runs between chunks. */
const SNAPSHOT_CHUNK_BYTES = 1 << 20;

export function journalFile(dir: string, gen: number): string {
  return path.join(dir, `journal-${String(gen).padStart(8, '0')}.jsonl`);
}

export interface ReplayHandlers {
  put(doc: Document): void;
  del(id: unknown): void;
  createIndex(def: IndexDef): void;
  dropIndex(name: string): void;
}

export interface Recovered {
  /** Journal to continue appending to, and its size. */
  readonly journalGen: number;
  /** Oldest journal generation kept (the snapshot's). */
  readonly firstGen: number;
  readonly journalBytes: number;
  readonly snapshotBytes: number;
  /** True when the directory did not exist (a new collection). */
  readonly fresh: boolean;
}

/** Complete lines of a buffer with the offset after each; an unterminated rest is left out. */
function* lines(buf: Buffer): Generator<{ text: string; end: number }> {
  let start = 0;
  for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
    yield { text: buf.toString('utf8', start, nl), end: nl + 1 };
    start = nl + 1;
  }
}

async function loadSnapshot(file: string, h: ReplayHandlers): Promise<{ gen: number; bytes: number }> {
  const buf = await readFile(file);
  const corrupt = (why: string, cause?: unknown): DbError =>
    new DbError('DB_CORRUPT_SNAPSHOT', `Snapshot ${file} is damaged (${why}).`, { file, cause });
  let gen = -1;
  let count = 0;
  let ended = false;
  for (const { text } of lines(buf)) {
    let rec: Record<string, unknown>;
    try {
      rec = decodeValue(text) as Record<string, unknown>;
    } catch (err) {
      throw corrupt(`unreadable line ${count + 2}`, err);
    }
    if (ended) throw corrupt('data after the end marker');
    if (gen === -1) {
      if (rec['v'] !== 1 || typeof rec['gen'] !== 'number') throw corrupt('bad header');
      gen = rec['gen'];
      for (const def of (rec['indexes'] as IndexDef[] | undefined) ?? []) h.createIndex(def);
    } else if ('end' in rec && Object.keys(rec).length === 1) {
      if (rec['end'] !== count) throw corrupt(`expected ${String(rec['end'])} documents, found ${count}`);
      ended = true;
    } else {
      h.put(rec as Document);
      count++;
    }
  }
  if (!ended) throw corrupt('no end marker');
  return { gen, bytes: buf.length };
}

/** Replays one journal; returns the byte length of its complete, valid prefix. */
async function replayJournal(file: string, h: ReplayHandlers): Promise<{ validBytes: number; size: number }> {
  const buf = await readFile(file);
  let validBytes = 0;
  let lineNo = 0;
  let bad: { lineNo: number; err: unknown } | undefined;
  for (const { text, end } of lines(buf)) {
    lineNo++;
    // A bad line is tolerated only as the very last one (a write torn by a crash).
    if (bad) throw corruptJournal(file, bad.lineNo, bad.err);
    try {
      applyRecord(text, h);
      validBytes = end;
    } catch (err) {
      if (err instanceof DbError) throw err;
      bad = { lineNo, err };
    }
  }
  return { validBytes, size: buf.length };
}

function corruptJournal(file: string, lineNo: number, cause: unknown): DbError {
  return new DbError(
    'DB_CORRUPT_JOURNAL',
    `Journal ${file} is damaged at line ${lineNo} (${messageOf(cause)}); later lines exist, so this is not a torn final write.`,
    { file, cause },
  );
}

function applyRecord(text: string, h: ReplayHandlers): void {
  const rec = JSON.parse(text) as Record<string, unknown>;
  // Only records with `"$` can hold $date / $numberDouble wrappers; skip the walk otherwise.
  const revive = text.includes('"$') ? reviveValue : (v: unknown): unknown => v;
  if ('p' in rec) h.put(revive(rec['p']) as Document);
  else if ('d' in rec) h.del(revive(rec['d']));
  else if ('ci' in rec) h.createIndex(rec['ci'] as IndexDef);
  else if ('di' in rec) h.dropIndex(rec['di'] as string);
  else throw new Error(`unknown record ${JSON.stringify(Object.keys(rec))}`);
}

/** Loads a collection directory through `h` and readies its newest journal for appends. */
export async function recover(dir: string, h: ReplayHandlers): Promise<Recovered> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { journalGen: 1, firstGen: 1, journalBytes: 0, snapshotBytes: 0, fresh: true };
    throw err;
  }
  let snapGen = 1;
  let snapshotBytes = 0;
  if (names.includes(SNAPSHOT_FILE))
    ({ gen: snapGen, bytes: snapshotBytes } = await loadSnapshot(path.join(dir, SNAPSHOT_FILE), h));
  if (names.includes(SNAPSHOT_TMP)) await rm(path.join(dir, SNAPSHOT_TMP), { force: true });

  const gens = names
    .flatMap((n) => JOURNAL_RE.exec(n)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
  let journalGen = snapGen;
  let journalBytes = 0;
  for (const gen of gens) {
    const file = journalFile(dir, gen);
    if (gen < snapGen) {
      await rm(file, { force: true }); // already in the snapshot: left over from a compaction
      continue;
    }
    const { validBytes, size } = await replayJournal(file, h);
    if (validBytes < size) await truncate(file, validBytes); // drop the torn tail before appending
    journalGen = gen;
    journalBytes = validBytes;
  }
  return { journalGen, firstGen: snapGen, journalBytes, snapshotBytes, fresh: false };
}

/** Journal record for a put (the document's JSON is already made). */
export function putRecord(docJson: string): string {
  return `{"p":${docJson}}`;
}

export function deleteRecord(id: unknown): string {
  return `{"d":${encodeValue(id)}}`;
}

export function createIndexRecord(def: IndexDef): string {
  return JSON.stringify({ ci: def });
}

export function dropIndexRecord(name: string): string {
  return JSON.stringify({ di: name });
}

/**
 * Writes `docs` (a point-in-time array; stored documents are never changed in place) as the
 * snapshot of generation `gen`, atomically. Returns its size in bytes.
 */
export async function writeSnapshot(
  dir: string,
  gen: number,
  indexes: readonly IndexDef[],
  docs: readonly Document[],
): Promise<number> {
  const tmp = path.join(dir, SNAPSHOT_TMP);
  const fh = await open(tmp, 'w');
  let bytes = 0;
  try {
    let chunk = `${JSON.stringify({ v: 1, gen, indexes })}\n`;
    for (const doc of docs) {
      chunk += `${encodeValue(doc)}\n`;
      if (chunk.length >= SNAPSHOT_CHUNK_BYTES) {
        bytes += await writeChunk(fh, chunk);
        chunk = '';
      }
    }
    chunk += `${JSON.stringify({ end: docs.length })}\n`;
    bytes += await writeChunk(fh, chunk);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path.join(dir, SNAPSHOT_FILE));
  await syncDir(dir);
  return bytes;
}

async function writeChunk(fh: FileHandle, chunk: string): Promise<number> {
  const buf = Buffer.from(chunk);
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
  return buf.length;
}
