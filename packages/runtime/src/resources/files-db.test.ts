import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDbProvider, type DbProvider } from '@insights/db';
import type { Db } from '@insights/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHUNKS_COLLECTION, DbModuleFiles } from './files-db.ts';

// The store only uses the module's Db: the embedded engine runs it here; test/db runs it on FerretDB.
describe('files - in the module database (shared by replicas)', () => {
  let root: string;
  let provider: DbProvider;
  let db: Db;
  const files = () => new DbModuleFiles('m', db, (mod, name, ttl) => `http://x/${mod}/${name}?ttl=${ttl}`);
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'files-db-'));
    provider = createDbProvider({ kind: 'embedded', dir: root });
    db = await provider.forModule('m');
  });
  afterEach(async () => {
    await provider.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes, reads, lists and deletes; another instance on the same database sees the same files', async () => {
    await files().write('a.txt', 'hello');
    await files().write('dir/b.bin', new Uint8Array([1, 2, 3]));
    const other = files();
    expect(await other.readText('a.txt')).toBe('hello');
    expect([...(await other.read('dir/./b.bin'))]).toEqual([1, 2, 3]);
    expect(await other.list()).toEqual(['a.txt', 'dir/b.bin']);
    expect(await other.list('dir/')).toEqual(['dir/b.bin']);
    expect(await other.delete('a.txt')).toBe(true);
    expect(await other.delete('a.txt')).toBe(false);
    expect(await files().exists('a.txt')).toBe(false);
    await expect(files().read('a.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await other.url('dir/b.bin', 60)).toBe('http://x/m/dir/b.bin?ttl=60');
  });

  it('a file over many chunks comes back whole; a rewrite replaces it and leaves no old chunks', async () => {
    const big = new Uint8Array(1_200_000).map((_, i) => (i * 7) % 251);
    await files().write('big.bin', big);
    expect(Buffer.from(await files().read('big.bin')).equals(Buffer.from(big))).toBe(true);
    await files().write('big.bin', 'small now');
    expect(await files().readText('big.bin')).toBe('small now');
    expect(await db.collection(CHUNKS_COLLECTION).countDocuments({})).toBe(1);
    await files().write('empty', '');
    expect((await files().read('empty')).length).toBe(0);
  });

  it('refuses names outside the module folder', async () => {
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', '.insights/expiry.json', '', '.', 'a\0b'])
      await expect(files().write(bad, 'x')).rejects.toMatchObject({
        code: expect.stringMatching(/PERMISSION_DENIED|INVALID_ARGUMENT/),
        parameter: 'name',
      });
  });

  it('expire hides a file at once and sweep deletes it; a rewrite clears the expiry', async () => {
    for (const n of ['gone', 'later', 'rewritten']) await files().write(n, 'x');
    await files().expire('gone', -5);
    await files().expire('later', 15);
    await files().expire('rewritten', -5);
    await files().write('rewritten', 'y');
    expect(await files().exists('gone')).toBe(false);
    expect(await files().list()).toEqual(['later', 'rewritten']);
    expect(await files().sweep()).toEqual(['gone']);
    expect(await files().sweep()).toEqual([]);
    expect(await files().sweep(Date.now() + 20_000)).toEqual(['later']);
    await expect(files().expire('x', Number.NaN)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'seconds' });
  });
});
