import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskModuleFiles } from './files.ts';
import { UrlSigner } from './url-signer.ts';

describe('files - per-module folder', () => {
  let root: string;
  let files: DiskModuleFiles;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'files-'));
    files = new DiskModuleFiles('m', path.join(root, 'm'), (mod, name, ttl) => `http://x/${mod}/${name}?ttl=${ttl}`);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes, reads, lists and deletes', async () => {
    await files.write('a.txt', 'hello');
    await files.write('dir/b.bin', new Uint8Array([1, 2, 3]));
    expect(await files.readText('a.txt')).toBe('hello');
    expect([...(await files.read('dir/b.bin'))]).toEqual([1, 2, 3]);
    expect(await files.list()).toEqual(['a.txt', 'dir/b.bin']);
    expect(await files.delete('a.txt')).toBe(true);
    expect(await files.exists('a.txt')).toBe(false);
    await expect(files.read('a.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses paths outside the module folder', async () => {
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', '.insights/expiry.json', ''])
      await expect(files.write(bad, 'x')).rejects.toMatchObject({
        code: expect.stringMatching(/PERMISSION_DENIED|INVALID_ARGUMENT/),
      });
  });

  it('expire + sweep really deletes the file from disk (the prototype test_osfs_forgets)', async () => {
    for (const n of ['foo1', 'foo2', 'foo3', 'foo4']) await files.write(n, 'hello world!');
    await files.expire('foo1', -5);
    await files.expire('foo2', -5);
    await files.expire('foo3', 15);
    await files.expire('foo4', 15);
    expect(await files.exists('foo1')).toBe(false); // expired files are invisible before the sweep
    expect((await files.sweep()).sort()).toEqual(['foo1', 'foo2']);
    await expect(stat(path.join(root, 'm', 'foo1'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await files.readText('foo3')).toBe('hello world!');
    await files.expire('foo3', -15);
    await files.expire('foo4', -15);
    await files.sweep();
    expect(await files.list()).toEqual([]);
  });

  it('keeps expiry times across instances (survives a restart)', async () => {
    await files.write('x', '1');
    await files.expire('x', -1);
    const again = new DiskModuleFiles('m', path.join(root, 'm'), () => '');
    expect(await again.sweep()).toEqual(['x']);
  });

  it('reads an expiry table up to its limit (the node, reading what a sandboxed module wrote); a larger one fails the read', async () => {
    await files.write('x', '1');
    await files.expire('x', -1);
    await files.write('y', '2');
    const table = await readFile(path.join(root, 'm', '.insights', 'expiry.json'));
    const bounded = (max: number) => new DiskModuleFiles('m', path.join(root, 'm'), () => '', max);
    await expect(bounded(table.length).read('x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(Buffer.from(await bounded(table.length).read('y')).toString()).toBe('2');
    await expect(bounded(table.length - 1).read('y')).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: `the file expiry table of module m is over the ${table.length - 1} bytes the node reads`,
    });
  });

  it('gives URLs through the node', async () => {
    await files.write('p.png', 'x');
    expect(await files.url('p.png', 60)).toBe('http://x/m/p.png?ttl=60');
  });
});

describe('url signer', () => {
  const signer = new UrlSigner('0123456789abcdef0123');
  it('accepts its own URL until it expires, rejects tampering', () => {
    const url = new URL(`http://h${signer.signedPath('mod', 'plots/a b.png', 60, 1_000_000)}`);
    const exp = Number(url.searchParams.get('exp'));
    const sig = url.searchParams.get('sig') ?? '';
    expect(url.pathname).toBe('/files/mod/plots/a%20b.png');
    expect(signer.verify('mod', 'plots/a b.png', exp, sig, 1_000_000)).toBe('ok');
    expect(signer.verify('mod', 'plots/a b.png', exp, sig, 1_000_000 + 61_000)).toBe('expired');
    expect(signer.verify('mod', 'plots/other.png', exp, sig, 1_000_000)).toBe('bad-signature');
    expect(signer.verify('mod', 'plots/a b.png', exp + 100, sig, 1_000_000)).toBe('bad-signature');
  });
});
