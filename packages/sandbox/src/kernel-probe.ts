/**
 * Can this machine run kernel sandboxes? Tries bubblewrap once (per bwrap path, per process) on
 * a real `node -e` with the flags sandboxes use, first with a user namespace, then without, and
 * finds where cgroups can be created and whether bubblewrap applies the no-fork seccomp filter.
 * The answer decides `sandbox: kernel` or `permission-model-only` for every module of the node.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bwrapArgs, type BwrapMounts } from './bwrap.ts';
import { findCgroupRoot, type CgroupRoot } from './cgroup-layout.ts';
import { nodeRuntimeFiles } from './node-files.ts';
import { noForkFilterFile, SECCOMP_FD } from './seccomp.ts';

const run = promisify(execFile);

export const DEFAULT_BWRAP = 'bwrap';
const PROBE_TIMEOUT_MS = 10_000;

export type KernelSupport =
  | {
      readonly available: true;
      /** Absolute paths: sandboxes start with an empty environment, so no PATH lookup there. */
      readonly bwrap: string;
      readonly prlimit: string;
      /**
       * util-linux `chrt`, which starts sandboxes under SCHED_BATCH, if installed: a sandbox woken
       * by the node's write does not preempt the node on its core (the node goes on with the next
       * calls while the other core runs the sandbox; ~10% more calls/s in paired runs, BENCHMARKS.md).
       */
      readonly chrt?: string | undefined;
      /** Sandboxes run as uid 65534 in their own user namespace. */
      readonly userNamespace: boolean;
      /**
       * Where sandbox cgroups go, per controller in force (the others say why not), or undefined
       * when no controller can be used (then `cgroupsMissing` says why).
       */
      readonly cgroups: CgroupRoot | undefined;
      readonly cgroupsMissing: string;
      /**
       * Whether new processes are refused (seccomp.ts): bubblewrap accepted the filter
       * (`--seccomp FD`) and a process start under it failed. Otherwise sandboxes run without the
       * filter, and `seccompMissing` says why.
       */
      readonly seccomp: boolean;
      readonly seccompMissing: string;
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
    const mounts: BwrapMounts = {
      readOnly: files,
      writable: [],
      writableReadOnly: false,
      tmpBytes: 1 << 20,
      cwd: '/',
      env: {},
      userNamespace,
    };
    const args = bwrapArgs(mounts, [files[0]!, '-e', 'process.stdout.write("ok")']);
    try {
      const { stdout } = await run(bwrap, args, { timeout: PROBE_TIMEOUT_MS, env: {} });
      if (stdout === 'ok') {
        const cgroups = await findCgroupRoot();
        const seccompMissing = await probeSeccomp(bwrap, mounts, files[0]!);
        return {
          available: true,
          bwrap,
          prlimit,
          chrt: findProgram('chrt'),
          userNamespace,
          ...(typeof cgroups === 'string' ? { cgroups: undefined, cgroupsMissing: cgroups } : { cgroups, cgroupsMissing: '' }),
          seccomp: seccompMissing === '',
          seccompMissing,
        };
      }
      lastError = `unexpected output ${JSON.stringify(stdout.slice(0, 200))}`;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      lastError = (err.stderr?.trim() || err.message).slice(0, 300);
    }
  }
  return { available: false, reason: `bubblewrap cannot run here: ${lastError}` };
}

/** Tries a process start in a sandbox under the no-fork filter. */
const SPAWN_UNDER_FILTER = `const r = require('child_process').spawnSync(process.execPath, ['-e', '0']);
process.stdout.write(r.error ? String(r.error.code) : 'started');`;

/**
 * '' when bubblewrap takes the no-fork filter and a process start under it is refused as the
 * filter says (EAGAIN), else why not: an older bubblewrap, a kernel without seccomp, an
 * architecture the filter does not know.
 */
async function probeSeccomp(bwrap: string, mounts: BwrapMounts, node: string): Promise<string> {
  const filter = noForkFilterFile();
  if (filter === undefined) return `no seccomp filter for ${process.arch}`;
  const file = await open(filter, 'r');
  try {
    const args = bwrapArgs(mounts, [node, '-e', SPAWN_UNDER_FILTER], SECCOMP_FD);
    const { stdout, stderr } = await runWithFd(bwrap, args, file.fd);
    if (stdout === 'EAGAIN') return '';
    return stdout === ''
      ? `bubblewrap did not run with --seccomp: ${stderr.trim().slice(0, 300) || 'no output'}`
      : `a process start under the filter gave ${JSON.stringify(stdout.slice(0, 100))}, not EAGAIN`;
  } finally {
    await file.close();
  }
}

/** Runs `file` with an empty environment and `fd` as its descriptor SECCOMP_FD; resolves with its output. */
function runWithFd(file: string, args: readonly string[], fd: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe'];
    while (stdio.length < SECCOMP_FD) stdio.push('ignore');
    stdio.push(fd);
    const child = spawn(file, args, { stdio, env: {}, timeout: PROBE_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ stdout: '', stderr: e.message }));
    child.on('close', () => resolve({ stdout, stderr }));
  });
}
