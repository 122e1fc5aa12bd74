/**
 * Node's permission model flags for a module's child process (Node 20: `--experimental-permission`,
 * one `--allow-fs-read`/`--allow-fs-write` flag per path). With the model on and no
 * `--allow-child-process`/`--allow-worker`, the child can neither spawn processes nor start
 * workers, native addons are refused (unless the operator allows one exact file for the module),
 * and `process.binding` is closed. The model does NOT cover the network, signals to other
 * processes (see lockdown.ts), or CPU; see deploy/hardening.
 */
import path from 'node:path';
import type { Bundle } from './bundler.ts';

export interface SandboxGrants {
  /** Bundles the child loads (the runtime's and the module's). */
  readonly bundles: readonly Bundle[];
  /** The module's own data folders: read and write. Empty for a probe. */
  readonly writable: readonly string[];
  /** The node's data folder: no read grant may contain it (it holds every module's data). */
  readonly dataDir: string;
  /**
   * The one native addon file the operator allows (absolute path), or none. Node can only allow
   * addons as a whole (`--allow-addons`); lockdown.ts then lets only this file load.
   */
  readonly addon: string | undefined;
}

export interface PermissionArgs {
  readonly execArgv: readonly string[];
  readonly read: readonly string[];
  readonly write: readonly string[];
  /** Grants narrowed because a package folder contained the node's data folder. */
  readonly narrowed: readonly string[];
}

export function permissionArgs(g: SandboxGrants): PermissionArgs {
  const read = new Set<string>();
  const narrowed: string[] = [];
  for (const b of g.bundles) {
    read.add(b.file);
    for (const root of b.readRoots) {
      if (!contains(root, g.dataDir)) {
        read.add(root);
        continue;
      }
      // A module folder that holds the node's data folder would expose every module's data:
      // grant only the folders of its source files (assets elsewhere in it become unreadable).
      narrowed.push(root);
      for (const d of b.sourceDirs) if (contains(root, d) && !contains(d, g.dataDir)) read.add(d);
    }
  }
  for (const w of g.writable) read.add(w);
  if (g.addon !== undefined) read.add(g.addon);
  const readList = [...read];
  return {
    execArgv: [
      '--experimental-permission',
      ...readList.map((p) => `--allow-fs-read=${p}`),
      ...g.writable.map((p) => `--allow-fs-write=${p}`),
      ...(g.addon !== undefined ? ['--allow-addons', '--disable-warning=SecurityWarning'] : []),
    ],
    read: readList,
    write: [...g.writable],
    narrowed,
  };
}

/** True if `inner` is `outer` or inside it. */
function contains(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
