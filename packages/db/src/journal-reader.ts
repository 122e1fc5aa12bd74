/**
 * Reader of the journal format of earlier versions (the migration reads it once; nothing writes
 * it any more). On-disk layout of one collection (a directory):
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
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Document } from '@insights/sdk';
import { decodeValue, reviveValue } from './codec.ts';
import type { IndexDef } from './embedded-index.ts';
import { DbError, messageOf } from './errors.ts';

export const SNAPSHOT_FILE = 'snapshot.jsonl';
const JOURNAL_RE = /^journal-(\d{8})\.jsonl$/;
function journalFile(dir: string, gen: number): string {
  return path.join(dir, `journal-${String(gen).padStart(8, '0')}.jsonl`);
}

export interface ReplayHandlers {
  put(doc: Document): void;
  del(id: unknown): void;
  createIndex(def: IndexDef): void;
  dropIndex(name: string): void;
}

/** Complete lines of a buffer with the offset after each; an unterminated rest is left out. */
function* lines(buf: Buffer): Generator<{ text: string }> {
  let start = 0;
  for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
    yield { text: buf.toString('utf8', start, nl) };
    start = nl + 1;
  }
}

async function loadSnapshot(file: string, h: ReplayHandlers): Promise<{ gen: number }> {
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
  return { gen };
}

/** Replays one journal; a torn last line (a write cut by a crash) was never acknowledged. */
async function replayJournal(file: string, h: ReplayHandlers): Promise<void> {
  const buf = await readFile(file);
  let lineNo = 0;
  let bad: { lineNo: number; err: unknown } | undefined;
  for (const { text } of lines(buf)) {
    lineNo++;
    // A bad line is tolerated only as the very last one (a write torn by a crash).
    if (bad) throw corruptJournal(file, bad.lineNo, bad.err);
    try {
      applyRecord(text, h);
    } catch (err) {
      if (err instanceof DbError) throw err;
      bad = { lineNo, err };
    }
  }
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

/** Replays a collection directory of the journal format through `h`, changing nothing on disk. */
export async function readJournalDirectory(dir: string, h: ReplayHandlers): Promise<void> {
  const names = await readdir(dir);
  let snapGen = 1;
  if (names.includes(SNAPSHOT_FILE)) ({ gen: snapGen } = await loadSnapshot(path.join(dir, SNAPSHOT_FILE), h));
  const gens = names
    .flatMap((n) => JOURNAL_RE.exec(n)?.[1] ?? [])
    .map(Number)
    .filter((gen) => gen >= snapGen) // older ones are already in the snapshot (left by a compaction)
    .sort((a, b) => a - b);
  for (const gen of gens) await replayJournal(journalFile(dir, gen), h);
}

/** True when a directory holds a collection in the journal format. */
export function isJournalCollection(names: readonly string[]): boolean {
  return names.some((n) => n === SNAPSHOT_FILE || JOURNAL_RE.test(n));
}
