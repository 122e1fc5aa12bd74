import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import { realpathSync } from 'node:fs';

/**
 * Closes process-control doors that Node's permission model (v20) leaves open, before any module
 * code runs: signalling other processes (a module could SIGKILL the node, its parent, or send it
 * SIGUSR1 to open its inspector), `process._debugProcess` (the same, directly), renicing other
 * processes, and native addons (which can crash or bypass everything).
 *
 * This is defence in depth inside the sandbox's own JS realm, not a boundary: it relies on the
 * originals being reachable only through these properties, which holds while `process.binding`
 * is closed (it is, under the permission model). Worker sandboxes share the node's pid, so there
 * even signalling "itself" is refused. Run sandboxes as their own OS user for a real boundary.
 */
export function lockdown(isWorker: boolean, addon: string | undefined): void {
  const own = process.pid;
  const proc = process as unknown as Record<string, unknown>;
  const rawKill = proc._kill as ((pid: number, signal: number) => number) | undefined;
  // process.kill validates its arguments, then calls process._kill: guarding _kill guards both.
  if (typeof rawKill === 'function')
    proc._kill = (pid: number, signal: number) => {
      if (isWorker || pid !== own) throw denied('signalling other processes');
      return rawKill.call(process, pid, signal);
    };
  proc._debugProcess = () => {
    throw denied('process._debugProcess');
  };
  const dlopen = process.dlopen.bind(process);
  process.dlopen = ((module: { exports: unknown }, filename: string, flags?: number) => {
    // Only the exact file the operator named in the node's config (modules[].nativeAddon).
    if (addon === undefined || realpathOrSelf(String(filename)) !== addon)
      throw denied(
        `loading the native addon ${String(filename)} (only a file the operator allows in modules[].nativeAddon may load)`,
      );
    return flags === undefined ? dlopen(module, filename) : dlopen(module, filename, flags);
  }) as typeof process.dlopen;
  const setPriority = os.setPriority.bind(os);
  os.setPriority = ((a: number, b?: number) => {
    if (b !== undefined && a !== 0 && a !== own) throw denied('changing the priority of other processes');
    if (isWorker) throw denied('changing the priority of the node');
    return b === undefined ? setPriority(a) : setPriority(a, b);
  }) as typeof os.setPriority;
  // Past the file size limit (RLIMIT_FSIZE, kernel sandbox) a write fails with EFBIG instead of
  // the signal killing the sandbox.
  process.on('SIGXFSZ', () => undefined);
  // `import { kill } from 'node:process'` reads the ESM facade: make it see the guarded versions.
  syncBuiltinESMExports();
}

function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function denied(what: string): Error {
  return Object.assign(new Error(`${what} is not allowed in a module sandbox`), { code: 'ERR_ACCESS_DENIED' });
}
