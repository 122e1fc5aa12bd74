import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
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

  it('bundle cache - pruning removes entries unused too long and the least recently used beyond the cap, with their bundles, never one in use', async () => {
    const dir = path.join(root, 'prune-cache');
    const bundles = path.join(root, 'prune-bundles');
    await mkdir(bundles, { recursive: true });
    const HOUR = 3600_000;
    const at = async (file: string, agoMs: number) => {
      const t = new Date(Date.now() - agoMs);
      await utimes(file, t, t);
    };
    const bundleFile = async (name: string) => {
      const file = path.join(bundles, `${name}.mjs`);
      await writeFile(file, `export default ${JSON.stringify(name)};`);
      return { file, readRoots: [], sourceDirs: [] };
    };
    const setup = new BundleCache(dir);
    // k1..k5 each with their own bundle; k6 names k5's (same content, another key).
    const b = [
      await bundleFile('b1'),
      await bundleFile('b2'),
      await bundleFile('b3'),
      await bundleFile('b4'),
      await bundleFile('b5'),
    ];
    for (const [i, bundle] of [...b, b[4]!].entries()) await setup.put(`k${i + 1}`, bundle);
    const entry = (k: string) => path.join(dir, `${k}.json`);
    for (const k of ['k1', 'k2', 'k3']) await at(entry(k), 30 * 24 * HOUR);
    await at(entry('k4'), 1 * HOUR);
    await at(entry('k5'), 2 * HOUR);
    await at(entry('k6'), 3 * HOUR);
    // Bundle files no entry names: an old one goes, a recent one (being made) stays.
    await writeFile(path.join(bundles, 'orphan-old.mjs'), '');
    await at(path.join(bundles, 'orphan-old.mjs'), 30 * 24 * HOUR);
    await writeFile(path.join(bundles, 'orphan-new.mjs'), '');

    const cache = new BundleCache(dir, { maxAgeMs: 24 * HOUR, maxEntries: 3 });
    BundleCache.using(b[1]!.file); // k2: a running sandbox's bundle
    expect(await cache.get('k3', bundles)).toBeDefined(); // k3: used now
    const removed = await cache.prune(bundles);

    // k1: unused for 30 days; k6: fourth most recently used of the entries not in use.
    expect(removed.sort()).toEqual(
      [entry('k1'), entry('k6'), path.join(bundles, 'b1.mjs'), path.join(bundles, 'orphan-old.mjs')].sort(),
    );
    for (const k of ['k2', 'k3', 'k4', 'k5']) expect(await cache.get(k, bundles), k).toBeDefined();
    for (const k of ['k1', 'k6']) expect(await cache.get(k, bundles), k).toBeUndefined();
    // k6's bundle is k5's, which is kept.
    expect((await readdir(bundles)).sort()).toEqual(['b2.mjs', 'b3.mjs', 'b4.mjs', 'b5.mjs', 'orphan-new.mjs']);
  });
});
