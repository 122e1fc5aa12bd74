/**
 * Can this machine run kernel sandboxes? Tries bubblewrap once (per bwrap path, per process) on
 * a real `node -e` with the flags sandboxes use, first with a user namespace, then without, and
 * finds where cgroups can be created. The answer decides `sandbox: kernel` or
 * `permission-model-only` for every module of the node.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { bwrapArgs } from './bwrap.ts';
import { findCgroupRoot, type CgroupRoot } from './cgroup.ts';
import { nodeRuntimeFiles } from './node-files.ts';

const run = promisify(execFile);

export const DEFAULT_BWRAP = 'bwrap';
const PROBE_TIMEOUT_MS = 10_000;

export type KernelSupport =
  | {
      readonly available: true;
      /** Absolute paths: sandboxes start with an empty environment, so no PATH lookup there. */
      readonly bwrap: string;
      readonly prlimit: string;
      /** Sandboxes run as uid 65534 in their own user namespace. */
      readonly userNamespace: boolean;
      /** Where sandbox cgroups go, or undefined (then `cgroupsMissing` says why). */
      readonly cgroups: CgroupRoot | undefined;
      readonly cgroupsMissing: string;
    }
  | { readonly available: false; readonly reason: string };

const cache = new Map<string, Promise<KernelSupport>>();

export function probeKernelSandbox(bwrap = DEFAULT_BWRAP): Promise<KernelSupport> {
  let p = cache.get(bwrap);
  if (p === undefined) {
    p = probe(bwrap);
    cache.set(bwrap, p);
  }
  return p;
}

/** `command` as an absolute path: itself if it has a slash, else the first executable match on PATH. */
export function findProgram(command: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter).map((d) => path.join(d, command));
  for (const c of candidates)
    try {
      accessSync(c, constants.X_OK);
      return path.resolve(c);
    } catch {
      // not here
    }
  return undefined;
}

async function probe(command: string): Promise<KernelSupport> {
  if (process.platform !== 'linux') return { available: false, reason: `bubblewrap needs Linux (this is ${process.platform})` };
  const bwrap = findProgram(command);
  if (bwrap === undefined) return { available: false, reason: `${command} is not installed (Debian package bubblewrap)` };
  const prlimit = findProgram('prlimit');
  if (prlimit === undefined) return { available: false, reason: 'prlimit is not installed (Debian package util-linux)' };
  let files: string[];
  try {
    files = await nodeRuntimeFiles();
  } catch (e) {
    return { available: false, reason: `cannot list the libraries Node links (ldd): ${(e as Error).message}` };
  }
  let lastError = '';
  for (const userNamespace of [true, false]) {
    const args = bwrapArgs(
      { readOnly: files, writable: [], writableReadOnly: false, tmpBytes: 1 << 20, cwd: '/', env: {}, userNamespace },
      [files[0]!, '-e', 'process.stdout.write("ok")'],
    );
    try {
      const { stdout } = await run(bwrap, args, { timeout: PROBE_TIMEOUT_MS, env: {} });
      if (stdout === 'ok') {
        const cgroups = await findCgroupRoot();
        return typeof cgroups === 'string'
          ? { available: true, bwrap, prlimit, userNamespace, cgroups: undefined, cgroupsMissing: cgroups }
          : { available: true, bwrap, prlimit, userNamespace, cgroups, cgroupsMissing: '' };
      }
      lastError = `unexpected output ${JSON.stringify(stdout.slice(0, 200))}`;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      lastError = (err.stderr?.trim() || err.message).slice(0, 300);
    }
  }
  return { available: false, reason: `bubblewrap cannot run here: ${lastError}` };
}
