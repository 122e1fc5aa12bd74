/**
 * Can this machine run kernel sandboxes? Tries bubblewrap once (per bwrap path, per process) on
 * a real `node -e` with the flags sandboxes use, first with a user namespace, then without, and
 * finds where cgroups can be created. The answer decides `sandbox: kernel` or
 * `permission-model-only` for every module of the node.
 */
import { execFile } from 'node:child_process';
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
      readonly bwrap: string;
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

async function probe(bwrap: string): Promise<KernelSupport> {
  if (process.platform !== 'linux') return { available: false, reason: `bubblewrap needs Linux (this is ${process.platform})` };
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
          ? { available: true, bwrap, userNamespace, cgroups: undefined, cgroupsMissing: cgroups }
          : { available: true, bwrap, userNamespace, cgroups, cgroupsMissing: '' };
      }
      lastError = `unexpected output ${JSON.stringify(stdout.slice(0, 200))}`;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      lastError = err.code === 'ENOENT' ? `${bwrap} is not installed` : (err.stderr?.trim() || err.message).slice(0, 300);
      if (err.code === 'ENOENT') break;
    }
  }
  return { available: false, reason: `bubblewrap cannot run here: ${lastError}` };
}
