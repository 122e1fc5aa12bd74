/**
 * Module bundles are built in a separate process: esbuild runs the module's import graph, and
 * that process must hold nothing worth stealing. It starts with an empty environment and, where
 * bubblewrap runs, in a kernel sandbox that sees only what bundling the module needs
 * (bundler-view.ts), with no network and no write access: it sends the bundle back and the
 * node writes it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { BundleCache } from './bundle-cache.ts';
import { BundleRuleError } from './bundle-errors.ts';
import type { BundleReply, BundleRequest } from './bundle-main.ts';
import { saveBundle, type Bundle, type BundleOptions } from './bundler.ts';
import { bundlerView } from './bundler-view.ts';
import { findEsbuild } from './esbuild.ts';
import { CHANNEL_FD } from './frame-channel.ts';
import { kernelRun, type KernelLimits } from './kernel-command.ts';
import type { KernelSupport } from './kernel-probe.ts';
import { bundleOwnEntry } from './runtime-bundles.ts';

/** Longest a module may take to bundle. */
const BUNDLE_TIMEOUT_MS = 120_000;

/** The bundler's kernel limits: esbuild runs its own binary and threads; it writes only to /tmp. */
const BUNDLER_LIMITS: KernelLimits = {
  maxOpenFiles: 1024,
  diskQuotaMb: 64,
  tmpMb: 64,
  maxMemoryMb: 2048,
  maxCpuPercent: 200,
  maxProcesses: 128,
};

/** What a bundler process needs: its own code and the module it bundles. */
export interface BundlerSpawn {
  /** The bundled bundle-main.ts (or, in tests, any script that speaks its IPC). */
  readonly script: string;
  /** The module's entry file, real path (its package is what it reads, with the packages that declares). */
  readonly entry: string;
  /** The kernel sandbox to run it in; unset or unavailable: a plain process (an empty environment still). */
  readonly kernel?: KernelSupport | undefined;
  /** Folders it must not see even inside the module's (the node's data folder). */
  readonly hidden?: readonly string[];
}

/** Starts the bundler process: no inherited environment or Node flags, IPC for the one request. */
export async function spawnBundler(s: BundlerSpawn): Promise<ChildProcess> {
  const nodeArgs = ['--disable-warning=ExperimentalWarning', s.script];
  const options: SpawnOptions = {
    cwd: path.dirname(s.entry),
    env: {},
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  };
  if (s.kernel?.available !== true) return spawn(process.execPath, nodeArgs, options);
  const esbuild = findEsbuild();
  const view = bundlerView(s.entry, s.script, esbuild);
  const run = await kernelRun({
    support: s.kernel,
    label: 'bundler',
    limits: BUNDLER_LIMITS,
    readOnly: view.readOnly,
    links: view.links,
    hidden: s.hidden ?? [],
    writable: [],
    overQuota: false,
    cwd: view.cwd,
    // Node's IPC on fd 3, as spawn sets it up for a child it starts itself (the bundler sends one message).
    env: {
      NODE_CHANNEL_FD: String(CHANNEL_FD),
      NODE_CHANNEL_SERIALIZATION_MODE: 'advanced',
      ...(esbuild.binary === undefined ? {} : { ESBUILD_BINARY_PATH: esbuild.binary }),
    },
    allowProcesses: true,
  });
  const child = spawn(run.file, [...run.args, ...nodeArgs], options);
  child.once('exit', () => void run.cleanup().catch(() => undefined));
  return child;
}

/**
 * Bundles a module's `entry` into `outDir` in a bundler process (see bundler.ts for the rules);
 * `runtimeDir` holds the bundler's own bundle and the cache; `dataDir`, the node's data folder,
 * stays out of sight (and out of the cache key) should the module's folder contain it.
 */
export async function bundleInProcess(
  entry: string,
  outDir: string,
  runtimeDir: string,
  options: BundleOptions,
  kernel?: KernelSupport,
  dataDir?: string,
): Promise<Bundle> {
  const hidden = dataDir === undefined ? [] : [realpathSync(dataDir)];
  let real: string;
  try {
    real = realpathSync(entry);
  } catch {
    throw new BundleRuleError(entry, 'unresolvable', 'the entry file does not exist');
  }
  const bundler = await bundleOwnEntry(runtimeDir, new URL('./bundle-main.ts', import.meta.url), 'sandbox-bundler');
  const cache = new BundleCache(path.join(runtimeDir, 'bundle-cache'));
  // A module the key cannot be made for (a symlink out of it, say) is bundled, and refused there.
  const key = () => cache.key(real, options, bundler.file, hidden).catch(() => undefined);
  return cache.through(outDir, key, () => bundleIn(real, outDir, options, { script: bundler.file, entry: real, kernel, hidden }));
}

async function bundleIn(real: string, outDir: string, options: BundleOptions, spawnOptions: BundlerSpawn): Promise<Bundle> {
  const child = await spawnBundler(spawnOptions);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const reply = await new Promise<BundleReply>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), BUNDLE_TIMEOUT_MS);
    let answered = false;
    child.once('message', (m: BundleReply) => {
      answered = true;
      resolve(m);
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
    child.on('error', (e) => {
      if (child.pid === undefined) reject(e);
    });
    const request: BundleRequest = { entry: real, outDir, options, esbuild: findEsbuild().main };
    child.send(request);
  });
  if (!reply.ok) throw new Error(reply.message);
  return saveBundle(reply.built, outDir, options.label);
}
