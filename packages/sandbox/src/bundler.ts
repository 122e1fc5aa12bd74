/**
 * Turns a module (or the sandbox runtime) into one plain-JS ESM file that a sandbox loads with
 * no loader hooks.
 *
 * Why not `--import tsx` in the sandbox: under Node 20's permission model, registering loader
 * hooks needs a worker thread (`module.register` fails with ERR_ACCESS_DENIED unless
 * --allow-worker), and esbuild, which tsx uses to transpile, runs as a child process (needs
 * --allow-child-process). Granting either would let the module spawn too. So the node bundles
 * with esbuild ahead of time; the sandbox only reads files.
 *
 * Only files of the module's own package and of the packages it declares are bundled or
 * imported, each checked by real path (bundle-scope.ts): an absolute import, a relative import
 * that leaves the package, a symlink that leads out of it, an undeclared package or an import
 * attribute that inlines a file from elsewhere fails the bundle with the file and the rule
 * named. Module bundles are built in a child process with an empty environment
 * (bundle-process.ts). Sources outside node_modules (the module, workspace packages such as
 * @insights/sdk, even when written in TypeScript) are bundled; packages inside node_modules stay
 * external and are imported by absolute file URL, so the module and the runtime share one copy
 * of zod and friends. `import.meta.url/dirname/filename` are rewritten per file to the original
 * location, so a module that reads its own templates still finds them.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BundleRuleError } from './bundle-errors.ts';
import { BundleScope } from './bundle-scope.ts';
import { loadEsbuild, type PluginBuild, type ResolveArgs } from './esbuild.ts';

export interface Bundle {
  /** The bundle: one ESM file. */
  readonly file: string;
  /**
   * Folders the bundle may read at run time: the module's package, the packages it imported
   * (declared dependencies), and what its external packages declare in turn. Never a folder an
   * import merely pointed at.
   */
  readonly readRoots: readonly string[];
  /** Folders of the bundled source files: the narrower grant when a package folder is too wide. */
  readonly sourceDirs: readonly string[];
}

const SKIP = Symbol('insights-sandbox-resolved');
const SOURCE = /\.(?:[cm]?[jt]sx?)$/;
const TS_SOURCE = /\.(?:[cm]?ts|tsx)$/;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
// Spelled apart: this file is bundled too (bundle-main.ts), and its import.meta is rewritten.
const META_URL = ['import', 'meta', 'url'].join('.');
// Bundled CommonJS code calls `require`; ESM has none, so give it one.
const BANNER = `import { createRequire as __insightsCreateRequire } from 'node:module'; const require = __insightsCreateRequire(${META_URL});`;

/** How module TypeScript compiles: as the repository's tsconfig.base.json says, for what esbuild uses. */
const TSCONFIG = { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true, target: 'ES2023' } };

export interface BundleOptions {
  /** File name prefix inside outDir. */
  readonly label: string;
  /** Inline source maps, so stack traces name the module's own .ts lines. */
  readonly sourcemap: boolean;
}

/** A bundle built but not yet written: what a bundler process sends back to the node. */
export interface BuiltBundle {
  readonly text: string;
  readonly readRoots: readonly string[];
  readonly sourceDirs: readonly string[];
}

/** Bundles `entry` into `outDir/<label>-<content hash>.mjs` (same content, same file). */
export async function bundle(entry: string, outDir: string, options: BundleOptions): Promise<Bundle> {
  return saveBundle(await buildBundle(entry, outDir, options), outDir, options.label);
}

/**
 * Builds the bundle of `entry` in memory (`outDir` only places its source map's paths).
 * `esbuildMain`: where esbuild's API is, when this process cannot search for it.
 */
export async function buildBundle(
  entry: string,
  outDir: string,
  options: BundleOptions,
  esbuildMain?: string,
): Promise<BuiltBundle> {
  const esbuild = await loadEsbuild(esbuildMain);
  const scope = new BundleScope(entry);
  const cwd = path.dirname(realpathSync(entry));
  const result = await esbuild.build({
    entryPoints: [realpathSync(entry)],
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
    // Fixed, so esbuild reads no tsconfig.json: its `extends` could name any file on the host.
    tsconfigRaw: TSCONFIG,
    plugins: [{ name: 'insights-sandbox', setup: (build: PluginBuild) => setup(build, scope) }],
  });
  const sourceDirs = new Set<string>();
  for (const input of Object.keys(result.metafile?.inputs ?? {})) {
    const abs = path.resolve(cwd, input);
    if (!abs.includes(NODE_MODULES)) sourceDirs.add(path.dirname(abs));
  }
  return { text: result.outputFiles?.[0]?.text ?? '', readRoots: scope.roots, sourceDirs: [...sourceDirs] };
}

/**
 * Writes a built bundle as `outDir/<label>-<content hash>.mjs`, atomically; a file of that name
 * is kept only if it holds exactly this bundle.
 */
export async function saveBundle(b: BuiltBundle, outDir: string, label: string): Promise<Bundle> {
  const hash = createHash('sha256').update(b.text).digest('hex').slice(0, 16);
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `${label}-${hash}.mjs`);
  if ((await readFile(file, 'utf8').catch(() => undefined)) !== b.text) {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, b.text);
    await rename(tmp, file);
  }
  return { file, readRoots: b.readRoots, sourceDirs: b.sourceDirs };
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

/** Import attributes that make esbuild inline a file's bytes into the bundle. */
const INLINING_ATTRIBUTES = new Set(['text', 'bytes', 'json', 'file', 'binary', 'base64', 'dataurl', 'copy']);

function setup(build: PluginBuild, scope: BundleScope): void {
  build.onResolve({ filter: /.*/ }, async (args) => {
    if (args.pluginData === SKIP || args.kind === 'entry-point') return undefined;
    try {
      return await resolveChecked(build, scope, args);
    } catch (e) {
      if (!(e instanceof BundleRuleError)) throw e;
      return { errors: [{ text: e.message, detail: { rule: e.rule, file: e.file } }] };
    }
  });
  build.onLoad({ filter: /.*/ }, async (args) => {
    if (args.namespace !== 'file') return undefined;
    // Every file esbuild reads passed onResolve; the entry and its real path are checked here too.
    scope.checkFile(args.path, args.path, args.path);
    if (!SOURCE.test(args.path) || args.path.includes(NODE_MODULES)) return undefined;
    const source = await readFile(args.path, 'utf8');
    if (!source.includes('import.meta')) return undefined;
    return { contents: rewriteImportMeta(source, args.path), loader: loaderFor(args.path), resolveDir: path.dirname(args.path) };
  });
}

async function resolveChecked(
  build: PluginBuild,
  scope: BundleScope,
  args: ResolveArgs,
): Promise<Record<string, unknown> | undefined> {
  const spec = args.path;
  if (isBuiltin(spec)) return { path: spec, external: true };
  if (path.isAbsolute(spec) || /^file:/i.test(spec))
    throw new BundleRuleError(
      args.importer,
      'absolute-import',
      `imports ${JSON.stringify(spec)}: absolute imports are not allowed`,
    );
  if (spec.startsWith('.')) scope.checkTarget(path.resolve(args.resolveDir, spec), args.importer, spec);
  const r = await build.resolve(spec, {
    kind: args.kind,
    resolveDir: args.resolveDir,
    importer: args.importer,
    pluginData: SKIP,
    with: args.with,
  });
  if (r.errors.length > 0) return { errors: r.errors };
  if (r.external) throw new BundleRuleError(args.importer, 'unresolvable', `cannot bundle ${JSON.stringify(spec)}`);
  const bare = !spec.startsWith('.');
  const inNodeModules = r.path.includes(NODE_MODULES);
  const real = bare ? scope.allowDependency(spec, args.importer, r.path) : scope.checkFile(r.path, args.importer, spec);
  const attribute = args.with?.type;
  if (attribute !== undefined && INLINING_ATTRIBUTES.has(attribute) && !isInsideOwn(scope, real))
    throw new BundleRuleError(
      args.importer,
      'import-attribute',
      `imports ${JSON.stringify(spec)} with { type: '${attribute}' }: only files of the module's own package may be inlined`,
    );
  if (bare && inNodeModules && !TS_SOURCE.test(real)) {
    const isRequire = args.kind === 'require-call' || args.kind === 'require-resolve';
    return { path: isRequire ? real : pathToFileURL(real).href, external: true };
  }
  return { path: real, sideEffects: r.sideEffects };
}

function isInsideOwn(scope: BundleScope, real: string): boolean {
  const rel = path.relative(scope.ownRoot, real);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !real.includes(NODE_MODULES);
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
