import { mkdir, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { InsightsError, isInsightsError, type EventEnvelope } from '@insights/sdk';
import type { CallOutcome } from '@insights/wire';
import type { DbProviderOptions } from '../db/index.ts';
import type { NormaliseOutcome } from '../events/normalise-result.ts';
import type { HostCall, HostCallControl, HostStatus, ModuleHost, ModuleState } from '../host.ts';
import { ModuleLoadError, resolveModuleEntry } from '../loader.ts';
import type { ModuleManifest } from '../manifest.ts';
import type { RuntimeEnvironment } from '../module-runtime.ts';
import { DiskModuleFiles } from '../resources/files.ts';
import type { Logger } from '../resources/log.ts';
import { bundle, bundleErrorText, bundleSandboxRuntime, type Bundle } from './bundler.ts';
import { CallGate } from './call-gate.ts';
import type { ResolvedLimits, ResolvedRestartPolicy } from './limits.ts';
import { LogRelay } from './log-relay.ts';
import { PendingRequest, type RequestOptions, type RequestOwner } from './pending-request.ts';
import { permissionArgs } from './permissions.ts';
import { launchProcess } from './process-transport.ts';
import type { InitMessage, RequestBody } from './protocol.ts';
import { Sandbox, type Launch, type SandboxServices } from './sandbox.ts';
import { isCallOutcome } from './validate.ts';
import { launchWorker } from './worker-transport.ts';

/** The node's environment plus how its db is configured (a sandbox opens its own db from it). */
export interface SandboxEnvironment extends RuntimeEnvironment {
  readonly dbOptions?: DbProviderOptions | undefined;
}

interface Runtimes {
  readonly child: Bundle;
  readonly probe: Bundle;
}

export interface SandboxHostOptions {
  readonly isolation: 'process' | 'worker';
  readonly spec: string;
  readonly baseDir: string;
  readonly limits: ResolvedLimits;
  readonly restart: ResolvedRestartPolicy;
  /** Native addons: undefined allows them only if the module's dependencies need them. */
  readonly nativeAddons?: boolean | undefined;
}

const CLOSE_GRACE_MS = 2000;
const FILE_REQUEST_TIMEOUT_MS = 10_000;
const STATS_INTERVAL_MS = 1000;
const NAMES_REFRESH_MS = 1000;
/** Deadline of requests that carry none (normalise, event properties): a stuck sandbox must not hold them forever. */
const INTERNAL_TIMEOUT_MS = 30_000;
const NEVER = new AbortController().signal;

/**
 * A module in a sandbox (child process or worker thread), supervised: calls go through a bounded
 * gate, each with a deadline the host enforces itself (a stuck sandbox is killed), crashes fail
 * in-flight calls with UNAVAILABLE and restart the sandbox with exponential backoff, and a crash
 * loop marks the module degraded until a restarted sandbox stays up.
 */
export class SandboxHost implements ModuleHost {
  readonly isolation: 'process' | 'worker';
  readonly #o: SandboxHostOptions;
  readonly #env: SandboxEnvironment;
  readonly #entry: string;
  readonly #outDir: string;
  /** The sandbox runtime bundles: `child` runs the module, `probe` only reports its manifest. */
  readonly #runtimes: Runtimes;
  readonly #gate: CallGate<PendingRequest>;
  readonly #logs: LogRelay;
  readonly #owner: RequestOwner;
  #bundle: Bundle;
  #manifest: ModuleManifest | undefined;
  #log: Logger;
  #sandbox: Sandbox | undefined;
  #live = false;
  #paused = false;
  #closed = false;
  #state: ModuleState = 'loading';
  #lastError = '';
  #restarts = 0;
  #crashes = 0;
  #calls = 0;
  #errors = 0;
  /** The module's own data folders (process isolation): files (also its working folder), db. */
  #folders: [string, string] | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;
  #namesAt = 0;

  private constructor(o: SandboxHostOptions, env: SandboxEnvironment, entry: string, runtimes: Runtimes, moduleBundle: Bundle) {
    this.isolation = o.isolation;
    this.#o = o;
    this.#env = env;
    this.#entry = entry;
    this.#outDir = path.join(env.dataDir, 'sandbox');
    this.#runtimes = runtimes;
    this.#bundle = moduleBundle;
    this.#gate = new CallGate(o.limits.maxConcurrentCalls, o.limits.maxQueuedCalls);
    this.#log = env.log.child({ module: path.basename(o.spec) });
    this.#logs = new LogRelay(this.#log, o.limits.maxLogRecordsPerSecond);
    this.#owner = {
      settle: (p, e, v) => this.#settle(p, e, v),
      deadlinePassed: (p) => this.#deadlinePassed(p),
      aborted: (p) => this.#aborted(p),
    };
  }

  /** Bundles the module, learns its name (process isolation), starts its sandbox; rejects with ModuleLoadError. */
  static async start(o: SandboxHostOptions, env: SandboxEnvironment): Promise<SandboxHost> {
    const entry = resolveModuleEntry(o.spec, o.baseDir);
    const outDir = path.join(env.dataDir, 'sandbox');
    let runtimes: Runtimes;
    let moduleBundle: Bundle;
    try {
      const [child, probe, m] = await Promise.all([
        bundleSandboxRuntime(outDir, 'child'),
        bundleSandboxRuntime(outDir, 'probe'),
        bundleModule(entry, outDir),
      ]);
      runtimes = { child, probe };
      moduleBundle = m;
    } catch (e) {
      throw new ModuleLoadError(o.spec, `cannot bundle ${entry}: ${bundleErrorText(e)}`, { cause: e });
    }
    const host = new SandboxHost(o, env, entry, runtimes, moduleBundle);
    try {
      // The process needs its data folders granted at start, so it must know its name first.
      if (o.isolation === 'process') await host.#prepareFolders((await host.#probe(moduleBundle)).name);
      if (!(await host.#launch())) throw new Error(host.#lastError);
    } catch (e) {
      throw e instanceof ModuleLoadError ? e : new ModuleLoadError(o.spec, `failed to import ${entry}: ${(e as Error).message}`, { cause: e });
    }
    return host;
  }

  get manifest(): ModuleManifest {
    if (this.#manifest === undefined) throw new Error('module host not started');
    return this.#manifest;
  }

  /** OS process id of the current sandbox (process isolation), for operators and tests. */
  get pid(): number | undefined {
    return this.#sandbox?.pid;
  }

  status(): HostStatus {
    const sb = this.#live ? this.#sandbox : undefined;
    return {
      state: this.#state,
      lastError: this.#lastError,
      restarts: this.#restarts,
      memoryBytes: sb === undefined ? 0 : this.isolation === 'process' ? sb.rss : sb.heapUsed,
      inFlight: this.#gate.running + this.#gate.waiting,
      calls: this.#calls,
      errors: this.#errors,
    };
  }

  call(call: HostCall, control: HostCallControl): Promise<CallOutcome> {
    const body = { type: 'call', kind: call.kind, name: call.name, args: call.args, deadline: call.deadline, progress: control.onProgress !== undefined } as const;
    return this.#request(body, { analytic: call.name, deadline: call.deadline, signal: control.signal, onProgress: control.onProgress, accept: isCallOutcome }) as Promise<CallOutcome>;
  }

  handleEvents(handler: string, events: readonly EventEnvelope[], control: { deadline: number; signal: AbortSignal }): Promise<number> {
    const accept = (v: unknown) => typeof v === 'number';
    return this.#request({ type: 'events', handler, events, deadline: control.deadline }, { analytic: handler, ...control, accept }) as Promise<number>;
  }

  async runJob(job: string, control: { deadline: number; signal: AbortSignal }): Promise<void> {
    await this.#request({ type: 'job', job, deadline: control.deadline }, { analytic: job, ...control, accept: () => true });
  }

  normalise(raws: readonly unknown[]): Promise<NormaliseOutcome[]> {
    const accept = (v: unknown) => Array.isArray(v) && v.length === raws.length;
    return this.#request({ type: 'normalise', raws }, { analytic: 'normalise', deadline: Date.now() + INTERNAL_TIMEOUT_MS, signal: NEVER, accept }) as Promise<NormaliseOutcome[]>;
  }

  computeProperty(name: string, event: EventEnvelope): Promise<unknown> {
    return this.#request({ type: 'property', name, event }, { analytic: name, deadline: Date.now() + INTERNAL_TIMEOUT_MS, signal: NEVER, accept: () => true });
  }

  readFile(name: string): Promise<Uint8Array> {
    const sb = this.#live ? this.#sandbox : undefined;
    // No sandbox (restarting): read from disk; a fresh DiskModuleFiles re-reads the expiry table.
    if (sb === undefined) return new DiskModuleFiles(this.manifest.name, this.#filesRoot(), this.#env.makeFileUrl).read(name);
    return this.#ask(sb, { type: 'read-file', name }).then((v) => {
      if (v instanceof Uint8Array) return v;
      throw new InsightsError('INTERNAL', 'the sandbox answered a file read with something else');
    });
  }

  async sweepFiles(): Promise<string[]> {
    const sb = this.#live ? this.#sandbox : undefined;
    if (sb === undefined) return []; // the next sweep, with the sandbox up, does it
    const v = await this.#ask(sb, { type: 'sweep-files' });
    return Array.isArray(v) ? v.map(String) : [];
  }

  /**
   * Loads the module's code again without restarting the node: the new code is bundled and
   * test-loaded first (the old one keeps serving meanwhile), then calls pause, in-flight ones
   * finish, the old sandbox closes (it owns the db) and the new one starts. If the new one fails,
   * the old code is started again and the error is thrown. The caller rebuilds its dispatcher.
   */
  async reload(): Promise<void> {
    if (this.#closed) throw new InsightsError('FAILED_PRECONDITION', `module ${this.manifest.name} is closed`);
    let next: Bundle;
    try {
      next = await bundleModule(this.#entry, this.#outDir);
    } catch (e) {
      throw new ModuleLoadError(this.#o.spec, `cannot bundle ${this.#entry}: ${bundleErrorText(e)}`, { cause: e });
    }
    const probed = await this.#probe(next).catch((e: Error) => {
      throw new ModuleLoadError(this.#o.spec, `failed to import ${this.#entry}: ${e.message}`, { cause: e });
    });
    if (probed.name !== this.manifest.name)
      throw new InsightsError('FAILED_PRECONDITION', `reload changes the module's name from ${this.manifest.name} to ${probed.name}; restart the node instead`);
    this.#paused = true;
    try {
      await this.#stop(this.#o.limits.unresponsiveMs + CLOSE_GRACE_MS);
      const previous = this.#bundle;
      this.#bundle = next;
      this.#crashes = 0;
      if (await this.#launch()) return;
      const error = this.#lastError;
      this.#bundle = previous;
      if (!(await this.#launch())) this.#scheduleRestart();
      throw new ModuleLoadError(this.#o.spec, `reloaded code failed to start, previous code restored: ${error}`);
    } finally {
      this.#paused = false;
      this.#pump();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    for (const p of this.#gate.takeWaiting()) this.#settle(p, unavailable(`module ${this.#manifest?.name ?? this.#o.spec} is shutting down`));
    await this.#stop(0);
  }

  // --- calls -------------------------------------------------------------------------------

  /** Every request to the module goes through here: refusal checks, the gate, the deadline. */
  #request(body: RequestBody, o: RequestOptions): Promise<unknown> {
    const refused = this.#refusal(o);
    if (refused !== undefined) {
      this.#errors++;
      return Promise.reject(refused);
    }
    this.#calls++;
    return new Promise((resolve, reject) => {
      const p = new PendingRequest(this.#owner, body, o, resolve, reject);
      const admitted = this.#gate.admit(p, this.#live && !this.#paused);
      if (admitted === 'full') {
        p.settled = true;
        this.#errors++;
        const { maxConcurrentCalls: r, maxQueuedCalls: q } = this.#o.limits;
        const analytic = `${this.manifest.name}.${o.analytic}`;
        reject(new InsightsError('RESOURCE_EXHAUSTED', `module ${this.manifest.name} is busy: ${r} calls running and ${q} waiting (maxConcurrentCalls, maxQueuedCalls)`, { analytic }));
        return;
      }
      p.arm();
      if (admitted === 'run') this.#dispatch(p);
    });
  }

  #refusal(o: RequestOptions): InsightsError | undefined {
    const name = this.manifest.name;
    if (this.#closed) return unavailable(`module ${name} is shutting down`);
    if (this.#state === 'degraded' && !this.#live)
      return unavailable(`module ${name} is restarting after repeated crashes (degraded); last error: ${this.#lastError}`);
    if (o.signal.aborted) return cancelReason(o.signal.reason);
    if (o.deadline <= Date.now()) return new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded', { analytic: `${name}.${o.analytic}` });
    return undefined;
  }

  #dispatch(p: PendingRequest): void {
    const sb = this.#sandbox!;
    const now = Date.now();
    // Before the request, so a call that lists the mesh sees the fresh names.
    if (now - this.#namesAt > NAMES_REFRESH_MS) this.#sendNames(sb, now);
    p.sandbox = sb;
    p.id = sb.request(p.body, p);
  }

  #pump(): void {
    while (this.#live && !this.#paused) {
      const p = this.#gate.next();
      if (p === undefined) return;
      this.#dispatch(p);
    }
  }

  #settle(p: PendingRequest, error: InsightsError | undefined, value?: unknown): void {
    if (p.settled) return;
    p.settled = true;
    p.disarm();
    if (p.sandbox !== undefined) {
      this.#gate.release();
      this.#pump();
    } else this.#gate.leftQueue();
    if (error === undefined && !p.options.accept(value))
      error = new InsightsError('INTERNAL', `${this.manifest.name}.${p.options.analytic} sent a malformed answer`);
    if (error === undefined) return p.resolve(value);
    this.#errors++;
    if (error.code === 'INTERNAL') this.#lastError = error.message;
    p.reject(error);
  }

  #deadlinePassed(p: PendingRequest): void {
    const sb = p.sandbox;
    this.#settle(p, new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded', { analytic: `${this.manifest.name}.${p.options.analytic}` }));
    if (sb === undefined) return;
    sb.cancel(p.id, 'DEADLINE_EXCEEDED');
    // A sandbox that cannot even answer a ping is stuck in synchronous code: it gets killed.
    sb.checkAlive(this.#o.limits.unresponsiveMs);
  }

  #aborted(p: PendingRequest): void {
    const sb = p.sandbox;
    this.#settle(p, cancelReason(p.options.signal.reason));
    sb?.cancel(p.id, 'CANCELLED');
  }

  #ask(sb: Sandbox, message: { type: 'read-file'; name: string } | { type: 'sweep-files' }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sb.cancel(id, 'DEADLINE_EXCEEDED');
        reject(unavailable(`module ${this.manifest.name} did not answer a file request in time`));
      }, FILE_REQUEST_TIMEOUT_MS);
      const id = sb.request(message, {
        done: (v) => (clearTimeout(timer), resolve(v)),
        failed: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  // --- supervision -------------------------------------------------------------------------

  /** Starts a sandbox and waits for it to load; false (reason in lastError) if it did not. */
  async #launch(): Promise<boolean> {
    const sb = new Sandbox(this.#launcher(this.#bundle, false), this.#init(this.#bundle, false), this.#services(), (reason) =>
      this.#exited(sb, reason),
    );
    this.#sandbox = sb;
    let manifest: ModuleManifest;
    try {
      manifest = await sb.ready;
    } catch (e) {
      this.#lastError = this.#withDetail((e as Error).message);
      if (this.#sandbox === sb) this.#sandbox = undefined;
      sb.kill('failed to start');
      return false;
    }
    if (this.#manifest !== undefined && manifest.name !== this.#manifest.name) {
      this.#lastError = `the module's name changed from ${this.#manifest.name} to ${manifest.name}`;
      sb.kill(this.#lastError);
      return false;
    }
    if (sb.exited || this.#sandbox !== sb) return false;
    if (this.#manifest === undefined) this.#log = this.#env.log.child({ module: manifest.name });
    this.#logs.use(this.#log);
    this.#manifest = manifest;
    this.#live = true;
    this.#state = this.#crashes >= this.#o.restart.crashLoopAfter ? 'degraded' : 'ready';
    this.#sendNames(sb, Date.now());
    this.#stableTimer = setTimeout(() => this.#stable(), this.#o.restart.stableAfterMs);
    this.#stableTimer.unref();
    this.#pump();
    return true;
  }

  #exited(sb: Sandbox, reason: string): void {
    // A sandbox that never loaded is handled by whoever launched it; an old one (reload) by #stop.
    if (!sb.started || sb !== this.#sandbox) return;
    this.#sandbox = undefined;
    this.#live = false;
    clearTimeout(this.#stableTimer);
    if (this.#closed || this.#paused) return;
    this.#lastError = this.#withDetail(reason);
    this.#log.error('module sandbox crashed; restarting it', { error: this.#lastError, restarts: this.#restarts + 1 });
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#closed) return;
    this.#crashes++;
    this.#restarts++;
    const policy = this.#o.restart;
    if (this.#crashes >= policy.crashLoopAfter) {
      if (this.#state !== 'degraded') this.#log.error('module is crash-looping: marked degraded', { crashes: this.#crashes });
      this.#state = 'degraded';
      // Fail fast: callers can retry elsewhere instead of waiting out a backoff.
      for (const p of this.#gate.takeWaiting()) this.#settle(p, unavailable(`module ${this.manifest.name} is crash-looping (degraded): ${this.#lastError}`));
    } else this.#state = 'loading';
    const delay = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (this.#crashes - 1));
    this.#restartTimer = setTimeout(() => {
      if (this.#closed || this.#paused) return;
      void this.#launch().then((ok) => ok || this.#scheduleRestart());
    }, delay);
  }

  #stable(): void {
    if (!this.#live) return;
    if (this.#state === 'degraded') this.#log.info('module recovered: its sandbox stayed up', { restarts: this.#restarts });
    this.#crashes = 0;
    this.#state = 'ready';
  }

  /** Lets running calls finish (up to `graceMs`), then closes the sandbox; queued calls stay queued. */
  async #stop(graceMs: number): Promise<void> {
    const sb = this.#sandbox;
    this.#live = false;
    this.#sandbox = undefined;
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#restartTimer);
    const until = Date.now() + graceMs;
    while (this.#gate.running > 0 && Date.now() < until && sb !== undefined && !sb.exited) await sleep(10);
    await sb?.close(CLOSE_GRACE_MS);
  }

  async #probe(b: Bundle): Promise<ModuleManifest> {
    const sb = new Sandbox(this.#launcher(b, true), this.#init(b, true), this.#services(), () => undefined);
    try {
      return await sb.ready;
    } finally {
      sb.kill('probe finished');
    }
  }

  #launcher(b: Bundle, probe: boolean): Launch {
    const runtime = probe ? this.#runtimes.probe : this.#runtimes.child;
    const base = { runtimeBundle: runtime.file, maxHeapMb: this.#o.limits.maxHeapMb };
    if (this.isolation === 'worker') return (events) => launchWorker({ ...base, cwd: '', permissionArgs: [] }, events);
    const writable = probe ? [] : (this.#folders ?? []);
    const perms = permissionArgs({ bundles: [runtime, b], writable, dataDir: this.#env.dataDir, allowAddons: this.#allowAddons(b) });
    if (perms.narrowed.length > 0 && !probe)
      this.#log.warn('module folder contains the node data folder: only its source folders are readable', { folders: perms.narrowed });
    if (this.#allowAddons(b) && !probe)
      this.#log.warn('module loads native addons, which run outside the permission model: its file restrictions are not enforced', {
        addons: b.nativeAddons,
      });
    const cwd = writable[0] ?? path.dirname(this.#entry);
    return (events) => launchProcess({ ...base, cwd, permissionArgs: perms.execArgv }, events);
  }

  #init(b: Bundle, probe: boolean): InitMessage {
    const env = this.#env;
    return {
      type: 'init',
      bundle: b.file,
      probe,
      dataDir: env.dataDir,
      db: env.dbOptions ?? { kind: 'embedded', dir: path.join(env.dataDir, 'db') },
      logLevel: env.log.level,
      cacheLimits: env.cacheLimits,
      maxResultBytes: this.#o.limits.maxResultBytes,
      maxLogRecordsPerSecond: this.#o.limits.maxLogRecordsPerSecond,
      statsIntervalMs: STATS_INTERVAL_MS,
      emit: env.emit !== undefined,
      property: env.property !== undefined,
      allowAddons: this.#allowAddons(b),
    };
  }

  #allowAddons(b: Bundle): boolean {
    return this.#o.nativeAddons ?? b.nativeAddons.length > 0;
  }

  #services(): SandboxServices {
    return {
      mesh: this.#env.mesh,
      fileUrl: (name, ttl) => this.#env.makeFileUrl(this.manifest.name, name, ttl),
      emit: this.#env.emit,
      property: this.#env.property,
      logs: this.#logs,
    };
  }

  #sendNames(sb: Sandbox, now: number): void {
    this.#namesAt = now;
    sb.send({ type: 'names', query: this.#env.mesh.names('query'), view: this.#env.mesh.names('view') });
  }

  // --- folders -----------------------------------------------------------------------------

  /**
   * Creates the module's own folders (files, which is also its working folder, and db) before
   * its process starts, so the sandbox needs rights on nothing above them.
   */
  async #prepareFolders(name: string): Promise<void> {
    this.#log = this.#env.log.child({ module: name });
    this.#logs.use(this.#log);
    const files = path.join(this.#env.dataDir, 'modules', name);
    const db = path.join(this.#env.dataDir, 'db', name);
    await mkdir(path.join(files, 'files'), { recursive: true });
    await mkdir(db, { recursive: true });
    // The db engine fsyncs its root when it first creates a module's folder; the sandbox may not
    // open that shared root, so the node does it here.
    const fh = await open(path.dirname(db), 'r');
    await fh.sync().finally(() => fh.close());
    this.#folders = [await realpath(files), await realpath(db)];
  }

  #filesRoot(): string {
    return path.join(this.#env.dataDir, 'modules', this.manifest.name, 'files');
  }

  #withDetail(reason: string): string {
    const detail = this.#logs.crashDetail();
    return detail === '' || reason.includes(detail) ? reason : `${reason}: ${detail}`;
  }
}

function bundleModule(entry: string, outDir: string): Promise<Bundle> {
  const label = `module-${path.basename(path.dirname(entry))}-${path.basename(entry).replace(/\.[^.]+$/, '')}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  return bundle(entry, path.join(outDir, 'modules'), { label, sourcemap: true });
}

function unavailable(message: string): InsightsError {
  return new InsightsError('UNAVAILABLE', message);
}

function cancelReason(reason: unknown): InsightsError {
  return isInsightsError(reason) ? reason : new InsightsError('CANCELLED', 'call cancelled by the caller');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
