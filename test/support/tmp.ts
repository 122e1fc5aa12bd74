import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(prefix = 'insights-test-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const FIXTURE_MODULES = path.join(REPO_ROOT, 'test', 'fixtures', 'modules');
export const SHIPPED_MODULES = path.join(REPO_ROOT, 'modules');
