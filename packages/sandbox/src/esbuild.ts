import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The part of esbuild's API the bundler uses (typed here: esbuild is reached through tsx). */
export interface Esbuild {
  build(options: Record<string, unknown>): Promise<{
    outputFiles?: { path: string; text: string }[];
    metafile?: { inputs: Record<string, unknown> };
  }>;
}

export interface PluginBuild {
  onResolve(
    options: { filter: RegExp },
    cb: (args: ResolveArgs) => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined,
  ): void;
  onLoad(
    options: { filter: RegExp },
    cb: (args: { path: string; namespace: string }) => Promise<Record<string, unknown> | undefined>,
  ): void;
  resolve(
    path: string,
    options: { kind: string; resolveDir: string; importer: string; pluginData?: unknown; with?: Record<string, string> },
  ): Promise<{ path: string; external: boolean; namespace: string; errors: unknown[]; sideEffects: boolean }>;
}

export interface ResolveArgs {
  path: string;
  importer: string;
  resolveDir: string;
  kind: string;
  namespace: string;
  pluginData?: unknown;
  /** Import attributes (`with { type: 'text' }`). */
  with?: Record<string, string>;
}

let loaded: Promise<Esbuild> | undefined;

/** What running esbuild takes: its JavaScript API, its package folder and its native binary. */
export interface EsbuildFiles {
  /** The API's main file (lib/main.js). */
  readonly main: string;
  /** The package folder (real path). */
  readonly root: string;
  /** The platform binary the API runs (real path), given to it as ESBUILD_BINARY_PATH; unset where not found. */
  readonly binary: string | undefined;
}

let found: EsbuildFiles | undefined;

/**
 * Finds esbuild: directly if it is installed for this package, else through tsx (which the node
 * already needs to run TypeScript, and which depends on esbuild).
 */
export function findEsbuild(): EsbuildFiles {
  if (found !== undefined) return found;
  const bases = [import.meta.url, pathToFileURL(path.join(process.cwd(), 'noop.js')).href];
  if (process.argv[1] !== undefined) bases.push(pathToFileURL(process.argv[1]).href);
  for (const base of bases) {
    const req = createRequire(base);
    for (const find of [() => req.resolve('esbuild'), () => createRequire(req.resolve('tsx/package.json')).resolve('esbuild')]) {
      let main: string;
      try {
        main = realpathSync(find());
      } catch {
        continue;
      }
      const root = path.dirname(path.dirname(main));
      found = { main, root, binary: platformBinary(main) };
      return found;
    }
  }
  throw new Error('esbuild not found: sandboxed modules are bundled with esbuild; install esbuild (or tsx) beside the node');
}

function platformBinary(main: string): string | undefined {
  try {
    return realpathSync(createRequire(main).resolve(`@esbuild/${process.platform}-${process.arch}/bin/esbuild`));
  } catch {
    return undefined; // another layout (Windows, a WebAssembly build): the API finds it itself
  }
}

/**
 * The esbuild API, from `main` when given (a bundler process in a kernel sandbox cannot search
 * for it: it sees only the files it was given), else found (findEsbuild).
 */
export function loadEsbuild(main?: string): Promise<Esbuild> {
  loaded ??= (async () => {
    const mod = (await import(pathToFileURL(main ?? findEsbuild().main).href)) as Esbuild & { default?: Esbuild };
    return mod.default ?? mod;
  })();
  return loaded;
}
