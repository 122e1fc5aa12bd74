/**
 * What a module's bundle may contain and read: files of its own package and of the packages it
 * declares as dependencies (resolved through each package.json, followed transitively), each
 * checked by its real path, so a symlink cannot lead anywhere else. Everything else is refused
 * with an error naming the file and the rule (bundle-errors.ts).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { BundleRuleError } from './bundle-errors.ts';

interface PackageInfo {
  readonly root: string;
  readonly name: string | undefined;
  readonly dependencies: readonly string[];
}

const DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** True if `inner` is `outer` or inside it. */
export function isInside(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The package name a bare specifier names: `a` of `a/b`, `@s/a` of `@s/a/b`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

export class BundleScope {
  /** Real paths of the package roots files may come from: the module's and its dependencies'. */
  readonly #allowed = new Map<string, PackageInfo>();
  readonly #infos = new Map<string, PackageInfo | undefined>();
  /** The package manager's links followed to reach allowed packages: path → target as stored. */
  readonly links = new Map<string, string>();

  /** @param entry the module's entry file: its package (the nearest package.json above it) is the module's. */
  constructor(entry: string) {
    const own = this.#packageAbove(realpathSync(entry));
    if (own === undefined) throw new BundleRuleError(entry, 'module-package', 'the module has no package.json above its entry');
    this.#allow(own);
    refuseEscapingLinks(own.root);
  }

  /** The package roots the bundle may read at run time (module, dependencies, their dependencies). */
  get roots(): string[] {
    return [...this.#allowed.keys()];
  }

  /** The module's own package root. */
  get ownRoot(): string {
    return this.#allowed.keys().next().value as string;
  }

  /**
   * Checks a resolved file: its real path must lie in an allowed package. Returns the real path.
   * `importer` and `specifier` only name the import in the error.
   */
  checkFile(file: string, importer: string, specifier: string): string {
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      throw new BundleRuleError(importer, 'unresolvable', `cannot find ${JSON.stringify(specifier)}`);
    }
    if (this.#owner(real) !== undefined) return real;
    const rule = real === path.resolve(file) ? 'outside-package' : 'symlink-outside-package';
    const why =
      rule === 'outside-package'
        ? `imports ${JSON.stringify(specifier)} (${real}), which is outside the module's package and its declared dependencies`
        : `imports ${JSON.stringify(specifier)} through a symlink to ${real}, outside the module's package and its declared dependencies`;
    throw new BundleRuleError(importer, rule, why);
  }

  /**
   * Checks where a relative import points, before resolving it: somewhere in an allowed package.
   * In the bundler's kernel sandbox a file outside does not exist, so resolution alone would
   * only say "not found"; this names the rule.
   */
  checkTarget(target: string, importer: string, specifier: string): void {
    if (this.#owner(path.resolve(target)) === undefined)
      throw new BundleRuleError(
        importer,
        'outside-package',
        `imports ${JSON.stringify(specifier)} (${target}), which is outside the module's package and its declared dependencies`,
      );
  }

  /**
   * Checks a bare import: the importing package must declare it. Then allows the dependency's
   * package, found by the resolved file's real path.
   */
  allowDependency(specifier: string, importer: string, resolved: string): string {
    const name = packageNameOf(specifier);
    const from = this.#owner(realpathSync(importer));
    if (from === undefined) throw new BundleRuleError(importer, 'outside-package', 'the importing file is outside the package');
    if (from.name !== name && !from.dependencies.includes(name))
      throw new BundleRuleError(
        importer,
        'undeclared-dependency',
        `imports ${JSON.stringify(name)}, which ${path.join(from.root, 'package.json')} does not declare as a dependency`,
      );
    const real = realpathSync(resolved);
    const pkg = this.#packageNamed(real, name);
    if (pkg === undefined)
      throw new BundleRuleError(importer, 'unresolvable', `cannot find the package of ${JSON.stringify(name)}`);
    this.#allow(pkg);
    return real;
  }

  /**
   * Allows a package and what it declares, transitively: code reaches its declared dependencies
   * at run time too (externals import theirs; `require.resolve` finds data files such as fonts).
   */
  #allow(pkg: PackageInfo): void {
    if (this.#allowed.has(pkg.root)) return;
    this.#allowed.set(pkg.root, pkg);
    for (const dep of pkg.dependencies) {
      const dir = findInstalled(pkg.root, dep);
      if (dir === undefined) continue; // optional and absent
      if (lstatSync(dir).isSymbolicLink()) this.links.set(dir, readlinkSync(dir));
      const info = this.#info(dir);
      if (info !== undefined) this.#allow(info);
    }
  }

  /** The allowed package whose root holds `real` (the innermost one). */
  #owner(real: string): PackageInfo | undefined {
    let best: PackageInfo | undefined;
    for (const p of this.#allowed.values())
      if (isInside(p.root, real) && (best === undefined || p.root.length > best.root.length)) best = p;
    return best;
  }

  /** The nearest folder above `file` with a package.json (its real path). */
  #packageAbove(file: string): PackageInfo | undefined {
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'package.json'))) return this.#info(dir);
      if (path.dirname(dir) === dir) return undefined;
    }
  }

  /** The folder above `file` whose package.json is named `name` (nested package.json files only set "type"). */
  #packageNamed(file: string, name: string): PackageInfo | undefined {
    for (let dir = path.dirname(file); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
      const info = existsSync(path.join(dir, 'package.json')) ? this.#info(dir) : undefined;
      if (info?.name === name) return info;
    }
    return undefined;
  }

  #info(dir: string): PackageInfo | undefined {
    const root = realpathSync(dir);
    if (this.#infos.has(root)) return this.#infos.get(root);
    let info: PackageInfo | undefined;
    try {
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
      const deps = new Set<string>();
      for (const f of DEPENDENCY_FIELDS) {
        const v = pkg[f];
        if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) deps.add(k);
      }
      info = { root, name: typeof pkg.name === 'string' ? pkg.name : undefined, dependencies: [...deps] };
    } catch {
      info = undefined;
    }
    this.#infos.set(root, info);
    return info;
  }
}

/** Where Node's resolution would find package `name` from `root`: `<ancestor>/node_modules/<name>`. */
function findInstalled(root: string, name: string): string | undefined {
  for (let dir = root; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (path.basename(dir) === 'node_modules') continue;
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

/** Entries looked at when checking a package for symlinks (a package larger than this is refused). */
const MAX_PACKAGE_ENTRIES = 50_000;

/**
 * Refuses a package that ships a symlink leading out of it: Node's permission model follows
 * symlinks, so one inside a readable folder would open whatever it points at (the node's data
 * folder, say) at run time. node_modules is skipped: the package manager's links are resolved
 * and checked per import.
 */
function refuseEscapingLinks(root: string): void {
  const stack = [root];
  let seen = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (++seen > MAX_PACKAGE_ENTRIES)
        throw new BundleRuleError(root, 'module-package', `the module's package holds over ${MAX_PACKAGE_ENTRIES} files`);
      const full = path.join(dir, d.name);
      if (d.isDirectory()) {
        if (d.name !== 'node_modules' && d.name !== '.git') stack.push(full);
      } else if (d.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(full);
        } catch {
          continue; // dangling: leads nowhere
        }
        if (!isInside(root, target))
          throw new BundleRuleError(full, 'symlink-outside-package', `is a symlink to ${target}, outside the module's package`);
      }
    }
  }
}
