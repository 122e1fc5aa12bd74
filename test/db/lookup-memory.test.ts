/**
 * An equality `$lookup` on the embedded engine holds only the matches of a chunk of its input,
 * not the foreign collection: 1,000 groups joined to 200,000 attempts (through an index on the
 * foreign field), in a child process run with --expose-gc so its heap is measured after full GCs.
 * Reading the foreign collection whole (as the engine once did) grows the heap by about twice its
 * JSON size.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../support/tmp.ts';

interface Result {
  foreignBytes: number;
  baseline: number;
  peak: number;
  rows: number;
  joined: number;
}

function runChild(dir: string): Promise<{ result: Result | undefined; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(import.meta.dirname, 'lookup-memory-child.ts'), dir],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ result: out ? (JSON.parse(out) as Result) : undefined, code, stderr }));
  });
}

describe('embedded db memory - $lookup', () => {
  let remove: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await remove?.();
    remove = undefined;
  });

  it('memory - a $lookup into 200,000 documents keeps heap growth under a quarter of their size', async () => {
    const tmp = await tempDir('insights-lookupmem-');
    remove = tmp.remove;
    const { result, code, stderr } = await runChild(tmp.dir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { foreignBytes, baseline, peak, rows, joined } = result!;
    expect(rows).toBe(1_000);
    expect(joined).toBe(10_000);
    console.info(
      `lookup memory: foreign collection ${Math.round(foreignBytes / 2 ** 20)} MB of JSON, heap growth ${((peak - baseline) / 2 ** 20).toFixed(1)} MB`,
    );
    expect(peak - baseline).toBeLessThan(foreignBytes / 4);
  }, 120_000);
});
