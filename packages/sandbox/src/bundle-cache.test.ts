import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleCache } from './bundle-cache.ts';
import { bundleInProcess } from './bundle-process.ts';
import type { KernelSupport } from './kernel-probe.ts';

const SDK = path.resolve(fileURLToPath(import.meta.url), '../../../sdk');

/** A kernel sandbox that cannot start: any bundling with it fails, so a success proves the cache answered. */
const BROKEN: KernelSupport = {
  available: true,
  bwrap: '/nonexistent/bwrap',
  prlimit: '/nonexistent/prlimit',
  userNamespace: false,
  cgroups: undefined,
  cgroupsMissing: 'test',
  seccomp: false,
  seccompMissing: 'test',
};

describe('bundle cache', () => {
  let root: string;
  let mod: string;
  let out: string;
  let runtime: string;
  const options = { label: 'cached', sourcemap: false };
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'insights-bundle-cache-'));
    mod = path.join(root, 'mod');
    out = path.join(root, 'out');
    runtime = path.join(root, 'runtime');
    await mkdir(path.join(mod, 'node_modules', '@insights'), { recursive: true });
    await symlink(SDK, path.join(mod, 'node_modules', '@insights', 'sdk'));
    await writeFile(
      path.join(mod, 'package.json'),
      JSON.stringify({ name: 'mod', type: 'module', dependencies: { '@insights/sdk': '*' } }),
    );
    await writeFile(path.join(mod, 'index.ts'), "import { z } from '@insights/sdk'; export default z.string();");
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('bundle cache - an unchanged module is not bundled again; a changed file, a tampered bundle or a bad entry are', async () => {
    const entry = path.join(mod, 'index.ts');
    const first = await bundleInProcess(entry, out, runtime, options);
    expect(await readdir(path.join(runtime, 'bundle-cache'))).toHaveLength(1);
    // Unchanged: answered from the cache, the broken bundler never runs.
    expect(await bundleInProcess(entry, out, runtime, options, BROKEN)).toEqual(first);

    // A bundle file that does not match its entry's hash is ignored (and written again).
    const genuine = await readFile(first.file, 'utf8');
    await writeFile(first.file, `${genuine}\nglobalThis.tampered = true;`);
    await expect(bundleInProcess(entry, out, runtime, options, BROKEN)).rejects.toThrow(/the bundler process exited with code/);
    expect(await bundleInProcess(entry, out, runtime, options)).toEqual(first);
    expect(await readFile(first.file, 'utf8')).toBe(genuine);

    // A corrupt entry is ignored.
    const [entryFile] = await readdir(path.join(runtime, 'bundle-cache'));
    await writeFile(path.join(runtime, 'bundle-cache', entryFile!), '{"format":');
    await expect(bundleInProcess(entry, out, runtime, options, BROKEN)).rejects.toThrow();
    expect(await bundleInProcess(entry, out, runtime, options)).toEqual(first);

    // A changed file changes the key.
    await writeFile(path.join(mod, 'index.ts'), "import { z } from '@insights/sdk'; export default z.number();");
    await expect(bundleInProcess(entry, out, runtime, options, BROKEN)).rejects.toThrow();
    const second = await bundleInProcess(entry, out, runtime, options);
    expect(second.file).not.toBe(first.file);
    expect((await readdir(path.join(runtime, 'bundle-cache'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('bundle cache - the key covers every file of the package, added ones too, and the bundler', async () => {
    const cache = new BundleCache(path.join(root, 'keys'));
    const entry = path.join(mod, 'index.ts');
    const k1 = await cache.key(entry, options, '/x/sandbox-bundler-1.mjs');
    expect(await cache.key(entry, options, '/x/sandbox-bundler-1.mjs')).toBe(k1);
    expect(await cache.key(entry, options, '/x/sandbox-bundler-2.mjs')).not.toBe(k1);
    expect(await cache.key(entry, { ...options, sourcemap: true }, '/x/sandbox-bundler-1.mjs')).not.toBe(k1);
    await writeFile(path.join(mod, 'template.html'), '<p>new</p>');
    expect(await cache.key(entry, options, '/x/sandbox-bundler-1.mjs')).not.toBe(k1);
  });
});
