/**
 * Module bundles kept across node restarts: a module whose files did not change is not bundled
 * again. The key is a content hash of everything that goes into the bundle: the bundler's own
 * code and esbuild's version, the entry and options, and the packages the module may draw from
 * (bundle-scope.ts): source packages by every file's content, installed packages (inside
 * node_modules, which the package manager does not change in place) by their package.json. An
 * entry names its bundle file and that file's hash; one whose file is missing or does not match
 * is ignored, and the module is bundled again. Entries are written atomically.
 *
 * `prune` bounds it (bundle-process.ts prunes after each new entry): entries unused for
 * `maxAgeMs` go, then the least recently used beyond `maxEntries`, each with its bundle file
 * unless a kept entry names it; bundle files no entry names go once as old. A bundle this process
 * handed out is never removed: its sandbox restarts from that file.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, writeFile, mkdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { BundleScope } from './bundle-scope.ts';
import type { Bundle, BundleOptions } from './bundler.ts';
import { findEsbuild } from './esbuild.ts';

/** Changes when the entry format or what the key covers changes. */
const CACHE_FORMAT = 'insights-bundle-cache-1';
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
/** Files hashed per source package at most (a larger one is not cached: it is bundled every start). */
const MAX_HASHED_FILES = 20_000;
/** An entry not used for this long is removed at the next prune (a used one is touched). */
export const DEFAULT_BUNDLE_CACHE_MAX_AGE_MS = 14 * 24 * 3600_000;
/** Entries kept at most (bundles are 0.1 to a few MB each; `insights dev` makes one per save). */
export const DEFAULT_BUNDLE_CACHE_MAX_ENTRIES = 256;

export interface BundleCacheLimits {
  readonly maxAgeMs: number;
  readonly maxEntries: number;
}

/** Bundle files this process returned to a launcher, by path: pruning leaves them alone. */
const inUse = new Set<string>();

interface CacheEntry {
  readonly format: string;
  readonly key: string;
  /** The bundle's file name in the output folder, and the sha256 of its content. */
  readonly file: string;
  readonly sha256: string;
  readonly readRoots: readonly string[];
  readonly sourceDirs: readonly string[];
}

/** Builds under way in this process, over every cache (see `through`). */
let building = 0;

export class BundleCache {
  constructor(
    /** In the node's data folder. */
    private readonly dir: string,
    private readonly limits: BundleCacheLimits = {
      maxAgeMs: DEFAULT_BUNDLE_CACHE_MAX_AGE_MS,
      maxEntries: DEFAULT_BUNDLE_CACHE_MAX_ENTRIES,
    },
  ) {}

  /**
   * The bundle `key()` names, from the cache, else `build()` put in the cache (only if the key
   * did not change while it built: the entry must describe the files it was made of). An
   * undefined key (too large or unresolvable to hash) builds without the cache. The cache is
   * pruned only when a build ends alone in this process, so a prune never removes a bundle
   * another build has just written or found and not yet handed out.
   */
  async through(outDir: string, key: () => Promise<string | undefined>, build: () => Promise<Bundle>): Promise<Bundle> {
    building++;
    try {
      const before = await key();
      const cached = before === undefined ? undefined : await this.get(before, outDir);
      if (cached !== undefined) {
        BundleCache.using(cached.file);
        return cached;
      }
      const b = await build();
      BundleCache.using(b.file);
      if (before !== undefined && (await key()) === before) {
        await this.put(before, b).catch(() => undefined);
        if (building === 1) await this.prune(outDir).catch(() => undefined);
      }
      return b;
    } finally {
      building--;
    }
  }

  /** Records that a sandbox runs (and may restart) from `file`: no prune removes it while this process lives. */
  static using(file: string): void {
    inUse.add(path.resolve(file));
  }

  /**
   * The key of `entry`'s bundle made by the bundler whose own bundle is `bundlerFile`, or
   * undefined when the module is too large to hash.
   */
  async key(
    entry: string,
    options: BundleOptions,
    bundlerFile: string,
    skip: readonly string[] = [],
  ): Promise<string | undefined> {
    const h = createHash('sha256');
    const esbuildPackage = await readFile(path.join(findEsbuild().root, 'package.json'), 'utf8');
    const version = (JSON.parse(esbuildPackage) as { version?: string }).version ?? '';
    h.update(JSON.stringify([CACHE_FORMAT, path.basename(bundlerFile), version, entry, options]));
    for (const root of new BundleScope(entry).roots.sort()) {
      h.update(`\0root\0${root}\0`);
      if (root.includes(NODE_MODULES) || root.endsWith(`${path.sep}node_modules`)) {
        h.update(await readFile(path.join(root, 'package.json')));
        continue;
      }
      if (!(await hashTree(root, h, skip))) return undefined;
    }
    return h.digest('hex');
  }

  /** The cached bundle for `key` in `outDir`, if its entry and its file are intact. */
  async get(key: string, outDir: string): Promise<Bundle | undefined> {
    let e: CacheEntry;
    try {
      e = JSON.parse(await readFile(this.#entryFile(key), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
    if (e.format !== CACHE_FORMAT || e.key !== key || typeof e.file !== 'string' || path.basename(e.file) !== e.file)
      return undefined;
    const file = path.join(outDir, e.file);
    const text = await readFile(file).catch(() => undefined);
    if (text === undefined || createHash('sha256').update(text).digest('hex') !== e.sha256) return undefined;
    // Used now: the entry's time is what pruning goes by.
    const now = new Date();
    await utimes(this.#entryFile(key), now, now).catch(() => undefined);
    return { file, readRoots: e.readRoots, sourceDirs: e.sourceDirs };
  }

  /** Records `b` under `key` (write to a temporary file, then rename: never a half entry). */
  async put(key: string, b: Bundle): Promise<void> {
    const entry: CacheEntry = {
      format: CACHE_FORMAT,
      key,
      file: path.basename(b.file),
      sha256: createHash('sha256')
        .update(await readFile(b.file))
        .digest('hex'),
      readRoots: b.readRoots,
      sourceDirs: b.sourceDirs,
    };
    await mkdir(this.dir, { recursive: true });
    const target = this.#entryFile(key);
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, target);
  }

  /**
   * Removes entries unused for `maxAgeMs`, then the least recently used beyond `maxEntries`,
   * with their bundle files in `outDir`, and bundle files there no kept entry names that are as
   * old; never a file in use (`using`). Returns the paths removed.
   */
  async prune(outDir: string): Promise<string[]> {
    const dir = path.resolve(outDir);
    const now = Date.now();
    const entries = await this.#entries();
    entries.sort((a, b) => b.usedMs - a.usedMs);
    const keep = new Set<string>();
    let kept = 0;
    const removed: string[] = [];
    for (const e of entries) {
      const bundle = e.file === undefined ? undefined : path.join(dir, e.file);
      const fresh = now - e.usedMs <= this.limits.maxAgeMs && kept < this.limits.maxEntries;
      if (fresh || (bundle !== undefined && inUse.has(bundle))) {
        kept++;
        if (bundle !== undefined) keep.add(bundle);
        continue;
      }
      await rm(e.path, { force: true });
      removed.push(e.path);
    }
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const name of files) {
      const file = path.join(dir, name);
      if (!/\.(mjs|tmp)$/.test(name) || keep.has(file) || inUse.has(file)) continue;
      const named = entries.some((e) => e.file === name && removed.includes(e.path));
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      if (named || now - info.mtimeMs > this.limits.maxAgeMs) {
        await rm(file, { force: true });
        removed.push(file);
      }
    }
    return removed;
  }

  /** Every entry file with its bundle's name (undefined when unreadable) and its last use. */
  async #entries(): Promise<{ path: string; file: string | undefined; usedMs: number }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: { path: string; file: string | undefined; usedMs: number }[] = [];
    for (const name of names) {
      const p = path.join(this.dir, name);
      const info = await stat(p).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      let file: string | undefined;
      try {
        const e = JSON.parse(await readFile(p, 'utf8')) as Partial<CacheEntry>;
        if (typeof e.file === 'string' && path.basename(e.file) === e.file) file = e.file;
      } catch {
        // a torn or foreign file: pruned by its age like any entry
      }
      out.push({ path: p, file, usedMs: info.mtimeMs });
    }
    return out;
  }

  #entryFile(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }
}

/** Hashes every file under `root` (relative path and content), node_modules, .git and `skip` aside; false if too many. */
async function hashTree(root: string, h: ReturnType<typeof createHash>, skip: readonly string[]): Promise<boolean> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<boolean> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) {
        if (d.name === 'node_modules' || d.name === '.git' || skip.includes(full)) continue;
        if (!(await walk(full))) return false;
      } else if (d.isFile() || d.isSymbolicLink()) {
        if (files.push(full) > MAX_HASHED_FILES) return false;
      }
    }
    return true;
  };
  if (!(await walk(root))) return false;
  for (const f of files) {
    h.update(`\0file\0${path.relative(root, f)}\0`);
    h.update(await readFile(f).catch(() => Buffer.from('\0unreadable')));
  }
  return true;
}
