/**
 * Turns a module (or the sandbox runtime) into one plain-JS ESM file that a sandbox loads with
 * no loader hooks.
 *
 * Why not `--import tsx` in the sandbox: under Node 20's permission model, registering loader
 * hooks needs a worker thread (`module.register` fails with ERR_ACCESS_DENIED unless
 * --allow-worker), and esbuild, which tsx uses to transpile, runs as a child process (needs
 * --allow-child-process). Granting either would let the module spawn too. So the node, which is
 * unrestricted, bundles with esbuild ahead of time; the sandbox only reads files.
 *
 * Sources outside node_modules (the module, workspace packages such as @insights/sdk, even when
 * written in TypeScript) are bundled; packages inside node_modules stay external and are imported
 * by absolute file URL, so the module and the runtime share one copy of zod and friends.
 * `import.meta.url/dirname/filename` are rewritten per file to the original location, so a module
 * that reads its own templates (`new URL('../templates/', import.meta.url)`) still finds them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadEsbuild, type PluginBuild } from './esbuild.ts';

export interface Bundle {
  /** The bundle: one ESM file. */
  readonly file: string;
  /** Folders the bundle reads at run time: node_modules roots of its externals, folders of bundled packages. */
  readonly readRoots: readonly string[];
  /** Folders of the bundled source files: the narrower grant when a package folder is too wide. */
  readonly sourceDirs: readonly string[];
  /** External packages that load native addons (they need --allow-addons, which voids the fs restrictions). */
  readonly nativeAddons: readonly string[];
}

const SKIP = Symbol('insights-sandbox-resolved');
const SOURCE = /\.(?:[cm]?[jt]sx?)$/;
const TS_SOURCE = /\.(?:[cm]?ts|tsx)$/;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
// Bundled CommonJS code calls `require`; ESM has none, so give it one.
const BANNER =
  "import { createRequire as __insightsCreateRequire } from 'node:module'; const require = __insightsCreateRequire(import.meta.url);";

export interface BundleOptions {
  /** File name prefix inside outDir. */
  readonly label: string;
  /** Inline source maps, so stack traces name the module's own .ts lines. */
  readonly sourcemap: boolean;
}

/** Bundles `entry` into `outDir/<label>-<content hash>.mjs` (same content, same file). */
export async function bundle(entry: string, outDir: string, options: BundleOptions): Promise<Bundle> {
  const esbuild = await loadEsbuild();
  const externalRoots = new Set<string>();
  const nativeAddons = new Set<string>();
  const cwd = path.dirname(entry);
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: cwd,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: path.join(outDir, `${options.label}.mjs`),
    sourcemap: options.sourcemap ? 'inline' : false,
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    banner: { js: BANNER },
    plugins: [{ name: 'insights-sandbox', setup: (build: PluginBuild) => setup(build, externalRoots, nativeAddons) }],
  });
  const text = result.outputFiles?.[0]?.text ?? '';
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `${options.label}-${hash}.mjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  }
  const roots = new Set(externalRoots);
  const sourceDirs = new Set<string>();
  for (const input of Object.keys(result.metafile?.inputs ?? {})) {
    const abs = path.resolve(cwd, input);
    if (abs.includes(NODE_MODULES)) continue;
    roots.add(packageRoot(abs));
    sourceDirs.add(realpathSync(path.dirname(abs)));
  }
  return { file, readRoots: [...roots], sourceDirs: [...sourceDirs], nativeAddons: [...nativeAddons] };
}

const runtimeBundles = new Map<string, Promise<Bundle>>();

/**
 * The sandbox's own entry points bundled once per output folder and node process: `child` runs
 * a module (child-main.ts), `probe` only reports its manifest (probe-main.ts).
 */
export function bundleSandboxRuntime(outDir: string, which: 'child' | 'probe'): Promise<Bundle> {
  const key = `${outDir}\0${which}`;
  let p = runtimeBundles.get(key);
  if (p === undefined) {
    const ts = fileURLToPath(new URL(which === 'child' ? './child-main.ts' : './probe-main.ts', import.meta.url));
    const entry = existsSync(ts) ? ts : ts.replace(/\.ts$/, '.js');
    p = bundle(entry, outDir, { label: `sandbox-${which}`, sourcemap: false });
    runtimeBundles.set(key, p);
    p.catch(() => runtimeBundles.delete(key));
  }
  return p;
}

/** Human-readable text of an esbuild failure (syntax errors, unresolved imports). */
export function bundleErrorText(e: unknown): string {
  const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return (e as Error).message;
  return errors
    .slice(0, 3)
    .map((x) => (x.location ? `${x.location.file}:${x.location.line}:${x.location.column}: ${x.text}` : x.text))
    .join('; ');
}

function setup(build: PluginBuild, externalRoots: Set<string>, nativeAddons: Set<string>): void {
  build.onResolve({ filter: /^[^./]/ }, async (args) => {
    if (args.pluginData === SKIP || args.kind === 'entry-point' || path.isAbsolute(args.path)) return undefined;
    if (isBuiltin(args.path)) return { path: args.path, external: true };
    const r = await build.resolve(args.path, {
      kind: args.kind,
      resolveDir: args.resolveDir,
      importer: args.importer,
      pluginData: SKIP,
    });
    if (r.errors.length > 0) return { errors: r.errors };
    if (r.external || !r.path.includes(NODE_MODULES) || TS_SOURCE.test(r.path))
      return { path: r.path, namespace: r.namespace, sideEffects: r.sideEffects, external: r.external };
    externalRoots.add(r.path.slice(0, r.path.indexOf(NODE_MODULES) + NODE_MODULES.length - 1));
    if (isNativeAddonPackage(r.path)) nativeAddons.add(args.path);
    const isRequire = args.kind === 'require-call' || args.kind === 'require-resolve';
    return { path: isRequire ? r.path : pathToFileURL(r.path).href, external: true };
  });
  build.onLoad({ filter: SOURCE }, async (args) => {
    if (args.namespace !== 'file' || args.path.includes(NODE_MODULES)) return undefined;
    const source = await readFile(args.path, 'utf8');
    if (!source.includes('import.meta')) return undefined;
    return { contents: rewriteImportMeta(source, args.path), loader: loaderFor(args.path), resolveDir: path.dirname(args.path) };
  });
}

function rewriteImportMeta(source: string, file: string): string {
  const values: Record<string, string> = {
    url: JSON.stringify(pathToFileURL(file).href),
    dirname: JSON.stringify(path.dirname(file)),
    filename: JSON.stringify(file),
  };
  return source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_m, key: string) => values[key] ?? _m);
}

function loaderFor(file: string): string {
  if (file.endsWith('.tsx')) return 'tsx';
  if (file.endsWith('.jsx')) return 'jsx';
  return TS_SOURCE.test(file) ? 'ts' : 'js';
}

const NATIVE_LOADERS = ['bindings', 'node-gyp-build', 'prebuild-install', 'node-pre-gyp', '@mapbox/node-pre-gyp'];

/** Whether the package holding `file` loads a native addon (napi-rs, node-gyp, prebuild). */
function isNativeAddonPackage(file: string): boolean {
  let dir = path.dirname(file);
  while (!existsSync(path.join(dir, 'package.json')) && dir.includes(NODE_MODULES)) dir = path.dirname(dir);
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deps = { ...(pkg.dependencies as object | undefined), ...(pkg.optionalDependencies as object | undefined) };
    return 'napi' in pkg || pkg.gypfile === true || 'binary' in pkg || NATIVE_LOADERS.some((d) => d in deps);
  } catch {
    return false;
  }
}

const roots = new Map<string, string>();

/** The folder of the nearest package.json above `file` (its realpath), or the file's own folder. */
function packageRoot(file: string): string {
  const start = path.dirname(file);
  const cached = roots.get(start);
  if (cached !== undefined) return cached;
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const root = realpathSync(existsSync(path.join(dir, 'package.json')) ? dir : start);
  roots.set(start, root);
  return root;
}
