import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as bundler from './bundler.ts';
import type * as runtimeBundles from './runtime-bundles.ts';
import { RUNTIME_CACHE_DIR } from './runtime-bundles.ts';

/** This package's modules as a restarted node loads them: fresh, with a bundler that fails if it runs. */
async function restartedWithoutBundler(): Promise<typeof runtimeBundles> {
  vi.resetModules();
  vi.doMock('./bundler.ts', async (original) => ({
    ...(await original<typeof bundler>()),
    bundle: () => Promise.reject(new Error('bundled again')),
  }));
  return import('./runtime-bundles.ts');
}

describe('runtime bundles', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(path.join(tmpdir(), 'insights-runtime-bundles-'));
  });
  afterAll(() => rm(out, { recursive: true, force: true }));
  afterEach(() => {
    vi.doUnmock('./bundler.ts');
    vi.resetModules();
  });

  it('runtime bundles - a restarted node takes the sandbox runtime from the cache: nothing is bundled again', async () => {
    const first = await import('./runtime-bundles.ts');
    const child = await first.bundleSandboxRuntime(out, 'child');
    const probe = await first.bundleSandboxRuntime(out, 'probe');
    expect(await readdir(path.join(out, RUNTIME_CACHE_DIR))).toHaveLength(2);

    const restarted = await restartedWithoutBundler();
    expect(await restarted.bundleSandboxRuntime(out, 'child')).toEqual(child);
    expect(await restarted.bundleSandboxRuntime(out, 'probe')).toEqual(probe);
  }, 120_000);

  it('runtime bundles - a bundle file that does not match its cache entry is not used, and is bundled again', async () => {
    const { bundleSandboxRuntime } = await import('./runtime-bundles.ts');
    const probe = await bundleSandboxRuntime(out, 'probe');
    const genuine = await readFile(probe.file, 'utf8');
    await writeFile(probe.file, `${genuine}\nglobalThis.tampered = true;`);

    const restarted = await restartedWithoutBundler();
    await expect(restarted.bundleSandboxRuntime(out, 'probe')).rejects.toThrow('bundled again');
    vi.doUnmock('./bundler.ts');
    vi.resetModules();
    const fresh = await import('./runtime-bundles.ts');
    expect(await fresh.bundleSandboxRuntime(out, 'probe')).toEqual(probe);
    expect(await readFile(probe.file, 'utf8')).toBe(genuine);
  }, 120_000);
});
