/**
 * What a bundler process sees in its kernel sandbox: Node (kernel-command.ts adds it), esbuild,
 * the bundler's own bundle, the module's package and the packages it declares (transitively),
 * with the package manager's links between them, all read-only. Not the node's config, its
 * environment, /etc or any data folder: an import of those finds nothing, whatever the bundler's
 * own checks would have said.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { BundleScope } from './bundle-scope.ts';
import type { EsbuildFiles } from './esbuild.ts';

export interface BundlerView {
  readonly readOnly: readonly string[];
  readonly links: ReadonlyMap<string, string>;
  /** The module's folder: the bundler's working folder. */
  readonly cwd: string;
}

/**
 * @param entry the module's entry file (real path). Throws BundleRuleError for a module without
 *   a package or with a symlink out of it, before any process starts.
 * @param script the bundler's own bundle (bundle-main.ts).
 */
export function bundlerView(entry: string, script: string, esbuild: EsbuildFiles): BundlerView {
  const scope = new BundleScope(entry);
  return {
    readOnly: [script, esbuild.root, ...(esbuild.binary === undefined ? [] : [esbuild.binary]), ...scope.roots],
    links: scope.links,
    cwd: path.dirname(realpathSync(entry)),
  };
}
