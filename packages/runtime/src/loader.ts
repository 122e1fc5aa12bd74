import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isModuleDefinition, isModuleName, MODULE_NAME_RULE, SDK_CONTRACT_VERSION, type ModuleDefinition } from '@insights/sdk';

/** Why a module could not be loaded, for the node's log and Describe. */
export class ModuleLoadError extends Error {
  override readonly name = 'ModuleLoadError';
  readonly code = 'MODULE_LOAD_FAILED';
  constructor(
    readonly spec: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`module ${spec}: ${message}`, options);
  }
}

const ENTRY_CANDIDATES = ['src/index.ts', 'index.ts', 'src/index.js', 'index.js', 'index.mjs'];

/** Finds the entry file of a module given as a file or a folder (package.json `main`/`exports` honoured). */
export function resolveModuleEntry(spec: string, baseDir = process.cwd()): string {
  const full = path.resolve(baseDir, spec);
  if (!existsSync(full)) throw new ModuleLoadError(spec, `no such file or folder: ${full}`);
  if (statSync(full).isFile()) return full;
  const pkgFile = path.join(full, 'package.json');
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string; exports?: unknown };
    const exp = typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports as Record<string, unknown> | undefined)?.['.'];
    const main = typeof exp === 'string' ? exp : pkg.main;
    if (main !== undefined && existsSync(path.join(full, main))) return path.join(full, main);
  }
  for (const c of ENTRY_CANDIDATES) if (existsSync(path.join(full, c))) return path.join(full, c);
  throw new ModuleLoadError(spec, `no entry file in ${full} (looked for package.json main, ${ENTRY_CANDIDATES.join(', ')})`);
}

/**
 * Imports a module file and checks its default export. TypeScript files need a TS-capable
 * loader in this process (the node and CLI run under tsx; vitest transforms on its own).
 */
export async function loadModuleDefinition(spec: string, baseDir?: string): Promise<ModuleDefinition> {
  const entry = resolveModuleEntry(spec, baseDir);
  let ns: { default?: unknown };
  try {
    ns = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (e) {
    throw new ModuleLoadError(spec, `failed to import ${entry}: ${(e as Error).message}`, { cause: e });
  }
  const def = ns.default;
  if (!isModuleDefinition(def))
    throw new ModuleLoadError(spec, `${entry} must \`export default defineModule({...})\` from @insights/sdk`);
  // defineModule checks too, but a hand-made definition object skips it; names become folders.
  if (!isModuleName(def.name))
    throw new ModuleLoadError(spec, `module name ${JSON.stringify(def.name)} is not allowed: it must be ${MODULE_NAME_RULE}`);
  if (def.sdkContract !== SDK_CONTRACT_VERSION)
    throw new ModuleLoadError(
      spec,
      `built for SDK contract ${def.sdkContract}, this node speaks ${SDK_CONTRACT_VERSION}; rebuild it against the current @insights/sdk`,
    );
  return def;
}
