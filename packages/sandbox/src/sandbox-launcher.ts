import { InsightsError } from '@insights/sdk';
import { mkdir, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isModuleName, MODULE_NAME_RULE } from '@insights/sdk';
import { ModuleLoadError, noLearnerIdKey } from '@insights/runtime/internal';
import type { ModuleManifest, RuntimeEnvironment, SandboxReport } from '@insights/runtime/internal';
import { bundleErrorText, type Bundle } from './bundler.ts';
import { bundleInProcess } from './bundle-process.ts';
import { MAX_MESSAGE_BYTES, maxFrameBytes } from './channel-limits.ts';
import { foldersBytes, watchDiskQuota } from './disk-quota.ts';
import { kernelLimitsInForce, kernelRun } from './kernel-command.ts';
import { probeKernelSandbox, type KernelSupport } from './kernel-probe.ts';
import { systemLibraryDirs } from './node-files.ts';
import { permissionArgs, type PermissionArgs } from './permissions.ts';
import type { ResolvedLimits } from './limits.ts';
import type { LogRelay } from './log-relay.ts';
import { launchProcess, type ProcessWrapper } from './process-transport.ts';
import type { InitMessage } from './protocol.ts';
import { bundleSandboxRuntime } from './runtime-bundles.ts';
import { SANDBOX_CPU_PROF_ENV, sandboxCpuProfile } from './cpu-profile-option.ts';
import { Sandbox, type Launch } from './sandbox.ts';
import { SqlCursors } from './sql-cursors.ts';
import { sandboxEnv } from './transport.ts';
import { launchWorker } from './worker-transport.ts';

/** The node's environment; its `db` provider serves the sandboxes' databases (they never open one). */
export interface SandboxEnvironment extends RuntimeEnvironment {
  /** Whether process sandboxes run under bubblewrap (the node probes once); unset: probed here. */
  readonly kernelSandbox?: KernelSupport | undefined;
}

const MIB = 1024 * 1024;

export interface LauncherOptions {
  readonly isolation: 'process' | 'worker';
  /** As configured, for messages. */
  readonly spec: string;
  /** The module's entry file. */
  readonly entry: string;
  readonly env: SandboxEnvironment;
  readonly limits: ResolvedLimits;
  /** The one native addon file (absolute path) the operator allows this module; none by default. */
  readonly nativeAddon: string | undefined;
  readonly logs: LogRelay;
}

const STATS_INTERVAL_MS = 1000;

/**
 * Knows how to start sandboxes of one module: its bundles, its data folders, the permission
 * grants and the init message. Each start is a new Sandbox; the supervisor decides when.
 */
export class SandboxLauncher {
  readonly #o: LauncherOptions;
  readonly #outDir: string;
  readonly #runtimes: { readonly child: Bundle; readonly probe: Bundle };
  /** Process isolation: the kernel sandbox, or why there is none. */
  readonly #kernel: KernelSupport | undefined;
  /** The module's current code. */
  bundle: Bundle;
  /** The module's name, once known (it names its folders and its signed URLs). */
  name: string | undefined;
  /** The module's own data folders (process isolation): files (also its working folder), db. */
  #folders: [string, string] | undefined;

  private constructor(
    o: LauncherOptions,
    outDir: string,
    runtimes: { child: Bundle; probe: Bundle },
    moduleBundle: Bundle,
    kernel: KernelSupport | undefined,
  ) {
    this.#o = o;
    this.#kernel = kernel;
    this.#outDir = outDir;
    this.#runtimes = runtimes;
    this.bundle = moduleBundle;
  }

  /** Bundles the sandbox runtime and the module; rejects with ModuleLoadError (syntax errors, missing imports). */
  static async create(o: LauncherOptions): Promise<SandboxLauncher> {
    const outDir = path.join(o.env.dataDir, 'sandbox');
    const runtime = (which: 'child' | 'probe') =>
      bundleSandboxRuntime(outDir, which).catch((e: unknown) => {
        throw new ModuleLoadError(o.spec, `cannot bundle the sandbox runtime: ${bundleErrorText(e)}`, { cause: e });
      });
    const kernel = o.isolation === 'process' ? (o.env.kernelSandbox ?? probeKernelSandbox()) : undefined;
    const [child, probe, k] = await Promise.all([runtime('child'), runtime('probe'), kernel]);
    const m = await bundleModule(o, outDir, k);
    return new SandboxLauncher(o, outDir, { child, probe }, m, k);
  }

  /** Bundles the module's code again (for reload). */
  rebundle(): Promise<Bundle> {
    return bundleModule(this.#o, this.#outDir, this.#kernel);
  }

  /** Starts a sandbox running `b`; `onExit` hears when it ends. */
  start(b: Bundle, onExit: (reason: string) => void): Sandbox {
    const run = { readOnly: false };
    const quota = this.#quotaWatch(() => sb, run);
    const sb: Sandbox = new Sandbox(
      this.#launch(b, false, run),
      this.#init(b),
      this.#services(),
      (reason) => {
        quota?.stop();
        onExit(reason);
      },
      this.name,
    );
    return sb;
  }

  /** What isolates this module's sandboxes, and the limits in force there (for Describe). */
  report(): SandboxReport {
    const k = this.#kernel;
    if (k === undefined)
      return {
        mode: 'none',
        limits: { maxHeapMb: this.#o.limits.maxHeapMb },
        note: 'worker thread in the node: trusted code only',
      };
    if (!k.available) return { mode: 'permission-model-only', limits: { maxHeapMb: this.#o.limits.maxHeapMb }, note: k.reason };
    return { mode: 'kernel', limits: { maxHeapMb: this.#o.limits.maxHeapMb, ...kernelLimitsInForce(k, this.#o.limits) } };
  }

  /**
   * Kernel sandboxes: measures the module's folders while it runs; over its quota the sandbox
   * is killed with the reason, and the next one sees its folders read-only (#wrapper).
   */
  #quotaWatch(sandbox: () => Sandbox, run: { readonly readOnly: boolean }): { stop(): void } | undefined {
    if (this.#kernel?.available !== true || this.#folders === undefined) return undefined;
    const quotaMb = this.#o.limits.diskQuotaMb;
    return watchDiskQuota(this.#folders, quotaMb * MIB, (bytes) => {
      if (run.readOnly) return; // already started read-only: it cannot grow
      sandbox().kill(
        `filled its data folder: ${(bytes / MIB).toFixed(1)} MiB, over its disk quota of ${quotaMb} MiB (limits.diskQuotaMb); it restarts with the folder read-only until space is freed`,
      );
    });
  }

  /** Loads `b` in a throwaway sandbox with no data folders, for its manifest: proves it loads, names it. */
  async probe(b: Bundle): Promise<ModuleManifest> {
    const sb = new Sandbox(this.#launch(b, true), this.#init(b), this.#services(), () => undefined);
    try {
      return await sb.ready;
    } catch (e) {
      throw new ModuleLoadError(this.#o.spec, `failed to import ${this.#o.entry}: ${(e as Error).message}`, { cause: e });
    } finally {
      sb.kill('probe finished');
    }
  }

  /**
   * Creates the module's own folders before its process starts, so the sandbox needs rights on
   * nothing above them. The db engine fsyncs its root when it first creates a module's folder;
   * the sandbox may not open that shared root, so the node does it here.
   */
  async prepareFolders(name: string): Promise<void> {
    // Checked again here (the sandbox checked it, and so did the host): folder paths are built from it.
    if (!isModuleName(name))
      throw new ModuleLoadError(
        this.#o.spec,
        `module name ${JSON.stringify(name)} is not allowed: it must be ${MODULE_NAME_RULE}`,
      );
    this.name = name;
    this.#o.logs.named(name);
    const files = path.join(this.#o.env.dataDir, 'modules', name);
    const db = path.join(this.#o.env.dataDir, 'db', name);
    await mkdir(path.join(files, 'files'), { recursive: true });
    await mkdir(db, { recursive: true });
    const fh = await open(path.dirname(db), 'r');
    await fh.sync().finally(() => fh.close());
    this.#folders = [await realpath(files), await realpath(db)];
  }

  filesRoot(name: string): string {
    return path.join(this.#o.env.dataDir, 'modules', name, 'files');
  }

  #launch(b: Bundle, probe: boolean, run = { readOnly: false }): Launch {
    const runtime = probe ? this.#runtimes.probe : this.#runtimes.child;
    const { maxHeapMb, maxMemoryMb, maxResultBytes } = this.#o.limits;
    // What an honest module writes (channel-limits.ts); more is an attack.
    const base = {
      runtimeBundle: runtime.file,
      maxHeapMb,
      maxFrameBytes: maxFrameBytes(maxResultBytes),
      maxMessageBytes: MAX_MESSAGE_BYTES,
      maxUnreadBytes: maxMemoryMb * MIB,
    };
    if (this.#o.isolation === 'worker') return (events) => launchWorker({ ...base, cwd: '', permissionArgs: [] }, events);
    const writable = probe ? [] : (this.#folders ?? []);
    const addon = this.#o.nativeAddon;
    const profile = probe ? undefined : sandboxCpuProfile();
    const granted = profile === undefined ? writable : [...writable, profile.dir];
    const perms = permissionArgs({ bundles: [runtime, b], writable: granted, dataDir: this.#o.env.dataDir, addon });
    const log = this.#o.logs.log;
    if (perms.narrowed.length > 0 && !probe)
      log.warn('module folder contains the node data folder: only its source folders are readable', { folders: perms.narrowed });
    if (profile !== undefined)
      log.warn(`bench-only ${SANDBOX_CPU_PROF_ENV} is set: this sandbox runs under --cpu-prof without the permission model`, {
        dir: profile.dir,
      });
    if (addon !== undefined && !probe)
      log.warn('the operator allows this module a native addon, which runs outside the permission model', { addon });
    const cwd = writable[0] ?? path.dirname(this.#o.entry);
    const wrapper =
      this.#kernel?.available === true ? () => this.#wrapper(perms, granted, cwd, probe, run, addon !== undefined) : undefined;
    const nodeArgs = profile === undefined ? perms.execArgv : profile.nodeArgs;
    return (events) => launchProcess({ ...base, cwd, permissionArgs: nodeArgs }, events, wrapper);
  }

  /** bubblewrap, rlimits and a cgroup around one sandbox run (kernel-command.ts). */
  async #wrapper(
    perms: PermissionArgs,
    writable: readonly string[],
    cwd: string,
    probe: boolean,
    run: { readOnly: boolean },
    allowAddons: boolean,
  ): Promise<ProcessWrapper> {
    const support = this.#kernel;
    if (support?.available !== true) throw new Error('no kernel sandbox');
    const limits = this.#o.limits;
    const overQuota = writable.length > 0 && (await foldersBytes(writable)) > limits.diskQuotaMb * MIB;
    run.readOnly = overQuota;
    if (overQuota)
      this.#o.logs.log.error('module data folder is over its disk quota: its sandbox sees it read-only', {
        quotaMb: limits.diskQuotaMb,
      });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(sandboxEnv())) if (v !== undefined) env[k] = v;
    return kernelRun({
      support,
      label: `${this.name ?? 'probe'}${probe ? '-probe' : ''}`,
      limits,
      readOnly: [...perms.read.filter((p) => !writable.includes(p)), ...(allowAddons ? systemLibraryDirs() : [])],
      writable,
      overQuota,
      cwd,
      env,
    });
  }

  #init(b: Bundle): InitMessage {
    const { env, limits } = this.#o;
    return {
      type: 'init',
      bundle: b.file,
      dataDir: env.dataDir,
      logLevel: env.log.level,
      cacheLimits: env.cacheLimits,
      sharedState: env.sharedState === true,
      maxResultBytes: limits.maxResultBytes,
      maxLogRecordsPerSecond: limits.maxLogRecordsPerSecond,
      statsIntervalMs: STATS_INTERVAL_MS,
      emit: env.emit !== undefined,
      property: env.property !== undefined,
      addon: this.#o.nativeAddon,
    };
  }

  #services() {
    const env = this.#o.env;
    return {
      mesh: env.mesh,
      fileUrl: (file: string, ttl: number) => env.makeFileUrl(this.name ?? '', file, ttl),
      learnerId: (learner: unknown) => {
        if (env.learnerId === undefined) throw noLearnerIdKey(this.name ?? '');
        return env.learnerId(learner as string);
      },
      emit: env.emit,
      property: env.property,
      db: (name: string) => env.db.forModule(name),
      // As the module the node loaded: the node checks modules[].reads and refuses writes.
      readDb: (owner: string, deadline: number | undefined) =>
        env.readDb === undefined
          ? Promise.reject(
              new InsightsError('PERMISSION_DENIED', `module "${this.name ?? ''}" may not read module "${owner}"'s data`),
            )
          : env.readDb(this.name ?? '', owner, deadline === undefined ? undefined : { deadline }),
      // Statements run as the module the node loaded, whatever the sandbox claims.
      sql: new SqlCursors(env.sql, () => this.name ?? ''),
      logs: this.#o.logs,
    };
  }
}

/** Bundles the module in a bundler process, in a kernel sandbox of its own where there is one. */
async function bundleModule(o: LauncherOptions, outDir: string, kernel: KernelSupport | undefined): Promise<Bundle> {
  const { entry } = o;
  const label = `module-${path.basename(path.dirname(entry))}-${path.basename(entry).replace(/\.[^.]+$/, '')}`.replace(
    /[^A-Za-z0-9_.-]/g,
    '_',
  );
  try {
    return await bundleInProcess(entry, path.join(outDir, 'modules'), outDir, { label, sourcemap: true }, kernel, o.env.dataDir);
  } catch (e) {
    throw new ModuleLoadError(o.spec, `cannot bundle ${entry}: ${bundleErrorText(e)}`, { cause: e });
  }
}
