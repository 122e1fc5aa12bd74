/**
 * The embedded database's memory does not grow with its data: a module writes 1,000,000 documents
 * (5,000,000 with INSIGHTS_DB_MEMORY_LONG=1) through the engine the node runs, in a child process
 * whose RSS we sample, while its queries keep answering from indexes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const LONG = process.env['INSIGHTS_DB_MEMORY_LONG'] === '1';
const DOCS = LONG ? 5_000_000 : 1_000_000;
/** RSS growth allowed from the first checkpoint to any later one. */
const MAX_GROWTH_BYTES = 150 * 1024 * 1024;

interface Checkpoint {
  written: number;
  rss: number;
  learner?: number;
  latest?: number;
  total?: number;
}

function runChild(dir: string): Promise<{ checkpoints: Checkpoint[]; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'memory-child.ts'), dir, String(DOCS)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const checkpoints: Checkpoint[] = [];
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) checkpoints.push(JSON.parse(line) as Checkpoint);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ checkpoints, code, stderr }));
  });
}

describe('embedded db memory', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(
    `memory - ${DOCS.toLocaleString('en')} documents written through a module keep RSS growth under 150 MB while queries answer`,
    async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'insights-dbmem-'));
      const { checkpoints, code, stderr } = await runChild(dir);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const last = checkpoints[checkpoints.length - 1]!;
      expect(last.written).toBe(DOCS);
      expect(last.total).toBe(DOCS);
      expect(last.latest).toBe(DOCS - 1);
      expect(last.learner).toBe(DOCS / 5_000);
      // Every checkpoint answered its queries with the data written so far.
      for (const c of checkpoints.slice(1)) expect(c.latest).toBe(c.written - 1);
      const base = checkpoints[1]!.rss;
      const peak = Math.max(...checkpoints.map((c) => c.rss));
      console.info(
        `db memory: ${DOCS} documents, RSS ${Math.round(base / 2 ** 20)} MB after the first 100,000, peak ${Math.round(peak / 2 ** 20)} MB`,
      );
      expect(peak - base).toBeLessThan(MAX_GROWTH_BYTES);
    },
    LONG ? 1_800_000 : 240_000,
  );
});
