/**
 * The node's own code that runs in separate processes, bundled: the sandbox runtime's entry
 * points (`child` runs a module: child-main.ts; `probe` only reports its manifest: probe-main.ts)
 * and the bundler's (bundle-main.ts). Bundled once per output folder and node process, and kept
 * across restarts in a bundle cache of their own (bundle-cache.ts: keyed by the content of this
 * package and of the packages it draws from, and esbuild's version; sha256-checked; written
 * atomically; pruned), so a node restarted on the same code bundles none of them again.
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BundleCache } from './bundle-cache.ts';
import { bundle, type Bundle, type BundleOptions } from './bundler.ts';

/** Where, in the output folder, their cache entries go (apart from module bundles': each cache prunes its own folder). */
export const RUNTIME_CACHE_DIR = 'runtime-cache';
/** Stands for the bundler in the key: these are bundled in the node's process by bundler.ts, whose code the key covers. */
const IN_PROCESS_BUNDLER = 'in-process';

const ownBundles = new Map<string, Promise<Bundle>>();

export function bundleSandboxRuntime(outDir: string, which: 'child' | 'probe'): Promise<Bundle> {
  return bundleOwnEntry(outDir, new URL(`./${which}-main.ts`, import.meta.url), `sandbox-${which}`);
}

/**
 * The node's own `entry` (a `.ts` file URL; a compiled `.js` beside it is used when the `.ts` is
 * absent) bundled into `outDir`: from this process's earlier answer, else from the cache, else
 * bundled now.
 */
export function bundleOwnEntry(outDir: string, entry: URL, label: string): Promise<Bundle> {
  const key = `${outDir}\0${label}`;
  let p = ownBundles.get(key);
  if (p === undefined) {
    const ts = fileURLToPath(entry);
    p = cachedBundle(existsSync(ts) ? ts : ts.replace(/\.ts$/, '.js'), outDir, { label, sourcemap: false });
    ownBundles.set(key, p);
    p.catch(() => ownBundles.delete(key));
  }
  return p;
}

function cachedBundle(file: string, outDir: string, options: BundleOptions): Promise<Bundle> {
  const cache = new BundleCache(path.join(outDir, RUNTIME_CACHE_DIR));
  // Too large to hash (it is not): bundled every start, like an uncached module.
  const key = () => cache.key(file, options, IN_PROCESS_BUNDLER).catch(() => undefined);
  return cache.through(outDir, key, () => bundle(file, outDir, options));
}
