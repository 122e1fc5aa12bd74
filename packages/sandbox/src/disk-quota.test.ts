import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderBytes, watchDiskQuota } from './disk-quota.ts';

describe('sandbox - disk quota', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-quota-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('quota - counts allocated bytes in nested folders, not what symlinks point at', async () => {
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await writeFile(path.join(dir, 'a', 'b', 'f.bin'), Buffer.alloc(256 * 1024, 1));
    await symlink('/usr', path.join(dir, 'usr-link'));
    const bytes = await folderBytes(dir);
    expect(bytes).toBeGreaterThanOrEqual(256 * 1024);
    expect(bytes).toBeLessThan(1024 * 1024);
    expect(await folderBytes(path.join(dir, 'missing'))).toBe(0);
  });

  it('quota - the watch reports once when the folder passes the quota', async () => {
    const seen: number[] = [];
    const over = new Promise<void>((resolve) => {
      watchDiskQuota([dir], 512 * 1024, (b) => (seen.push(b), resolve()), 10);
    });
    await writeFile(path.join(dir, 'more.bin'), Buffer.alloc(512 * 1024, 1));
    await over;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThan(512 * 1024);
  });
});
