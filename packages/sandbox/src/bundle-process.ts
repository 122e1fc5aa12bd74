/**
 * Module bundles are built in a separate process: esbuild runs the module's import graph, and
 * that process must hold nothing worth stealing. `spawnBundler` is the one place it starts, so a
 * kernel sandbox (bubblewrap) can wrap it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { BundleRequest } from './bundle-main.ts';
import { bundleOwnEntry, type Bundle, type BundleOptions } from './bundler.ts';

/** Longest a module may take to bundle. */
const BUNDLE_TIMEOUT_MS = 120_000;

/** What a bundler process needs: its own code, the module it bundles, where the bundle goes. */
export interface BundlerSpawn {
  /** The bundled bundle-main.ts. */
  readonly script: string;
  /** The module's entry file (its package is what it reads, with the packages that declares). */
  readonly entry: string;
  /** Where it writes the bundle (the only folder it writes). */
  readonly outDir: string;
}

/** Starts the bundler process: an empty environment, no inherited Node flags, IPC for the one request. */
export function spawnBundler(s: BundlerSpawn): ChildProcess {
  return fork(s.script, [], {
    cwd: path.dirname(s.entry),
    env: {},
    execArgv: ['--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
}

/** Bundles a module's `entry` into `outDir` in a bundler process (see bundler.ts for the rules). */
export async function bundleInProcess(
  entry: string,
  outDir: string,
  runtimeDir: string,
  options: BundleOptions,
): Promise<Bundle> {
  const bundler = await bundleOwnEntry(runtimeDir, new URL('./bundle-main.ts', import.meta.url), 'sandbox-bundler');
  const child = spawnBundler({ script: bundler.file, entry, outDir });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  return new Promise<Bundle>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), BUNDLE_TIMEOUT_MS);
    let answered = false;
    child.once('message', (m: { ok: boolean; bundle?: Bundle; message?: string }) => {
      answered = true;
      if (m.ok && m.bundle !== undefined) resolve(m.bundle);
      else reject(new Error(m.message ?? 'the bundler failed'));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!answered)
        reject(
          new Error(
            `the bundler process ${signal === null ? `exited with code ${code}` : `was killed by ${signal}`}: ${stderr.trim()}`,
          ),
        );
    });
    // A failed start or a failed send (the process died): the exit handler reports the rest.
    child.on('error', (e) => reject(e));
    const request: BundleRequest = { entry, outDir, options };
    child.send(request);
  });
}
