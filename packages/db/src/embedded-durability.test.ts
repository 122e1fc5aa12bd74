/**
 * Durability with a real crash: a child process writes, we SIGKILL it mid-stream, reopen its
 * files and check that every write it saw acknowledged is there (and every acknowledged delete
 * is gone). SQLite runs in WAL mode with synchronous=NORMAL: a commit is in the operating system
 * when it returns, so a process crash loses nothing acknowledged; an OS crash or power loss may
 * lose the last commits unless `syncIntervalMs: 0` (synchronous=FULL). This test covers the first.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createDbProvider } from './index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const CHILD = path.join(here, 'durability-child.ts');
/** Kill once this many inserts were acknowledged. */
const KILL_AFTER_INSERTS = 600;

interface Acked {
  inserted: Set<string>;
  deleted: Set<string>;
  /** Deletes issued, acknowledged or not. */
  deleting: Set<string>;
  maxCounter: number;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runAndKill(dir: string): Promise<Acked> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Acked = {
      inserted: new Set(),
      deleted: new Set(),
      deleting: new Set(),
      maxCounter: 0,
      signal: null,
      stderr: '',
    };
    let buffered = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? ''; // a line cut by the kill was never fully printed: ignore it
      for (const line of lines) {
        const [kind, value = ''] = line.split(' ');
        if (kind === 'I') acked.inserted.add(value);
        else if (kind === 'D') acked.deleted.add(value);
        else if (kind === 'X') acked.deleting.add(value);
        else if (kind === 'C') acked.maxCounter = Math.max(acked.maxCounter, Number(value));
      }
      if (!killed && acked.inserted.size >= KILL_AFTER_INSERTS) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      acked.stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      acked.signal = signal;
      resolve(acked);
    });
  });
}

describe('embedded durability', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('durability - every acknowledged write survives kill -9 of the writer', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-kill-'));
    const acked = await runAndKill(dir);
    expect(acked.stderr).toBe('');
    expect(acked.signal).toBe('SIGKILL');
    expect(acked.inserted.size).toBeGreaterThanOrEqual(KILL_AFTER_INSERTS);

    const provider = createDbProvider({ kind: 'embedded', dir });
    try {
      const events = (await provider.forModule('durability')).collection('events');
      const present = new Set((await events.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
      const lost = [...acked.inserted].filter((id) => !acked.deleting.has(id) && !present.has(id));
      expect(lost, 'acknowledged inserts missing after the crash').toEqual([]);
      const resurrected = [...acked.deleted].filter((id) => present.has(id));
      expect(resurrected, 'acknowledged deletes undone by the crash').toEqual([]);
      expect((await events.findOne({ _id: 'counter' }))?.['n']).toBeGreaterThanOrEqual(acked.maxCounter);
      expect((await events.listIndexes()).map((i) => i.name)).toContain('seq_1');
      // And the reopened database takes writes again.
      await events.insertOne({ _id: 'after-crash', seq: -1 });
      expect(await events.countDocuments({ _id: 'after-crash' })).toBe(1);
    } finally {
      await provider.close();
    }
  });
});
