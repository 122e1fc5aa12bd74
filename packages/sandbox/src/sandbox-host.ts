import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { InsightsError, isInsightsError, type EventEnvelope } from '@insights/sdk';
import { EncodedJson, type CallOutcome } from '@insights/wire';
import {
  NEVER_ABORTS,
  ModuleLoadError,
  resolveModuleEntry,
  DiskModuleFiles,
  moduleFiles,
  storedJsonArray,
} from '@insights/runtime/internal';
import type {
  EventsControl,
  NormaliseOutcome,
  HostCall,
  HostCallControl,
  HostStatus,
  ModuleHost,
  ModuleManifest,
} from '@insights/runtime/internal';
import { CallGate } from './call-gate.ts';
import { DeadlineWheel } from '@insights/sdk/internal';
import type { ResolvedLimits, ResolvedRestartPolicy } from './limits.ts';
import { LogRelay } from './log-relay.ts';
import { ANSWER_OVER_LIMIT } from './oversized-message.ts';
import { PendingRequest, type RequestOptions, type RequestOwner } from './pending-request.ts';
import type { RequestMessage } from './protocol.ts';
import type { Sandbox } from './sandbox.ts';
import { SandboxLauncher, type SandboxEnvironment } from './sandbox-launcher.ts';
import { Supervisor } from './supervisor.ts';
import { isCallOutcome } from './validate.ts';

export type { SandboxEnvironment } from './sandbox-launcher.ts';

export interface SandboxHostOptions {
  readonly isolation: 'process' | 'worker';
  readonly spec: string;
  readonly baseDir: string;
  readonly limits: ResolvedLimits;
  readonly restart: ResolvedRestartPolicy;
  /** The one native addon file (absolute path) the operator allows this module; none by default. */
  readonly nativeAddon?: string | undefined;
}

const FILE_REQUEST_TIMEOUT_MS = 10_000;
/** The largest file expiry table the node reads for a module (about 300,000 expiring files); the module writes it. */
const MAX_EXPIRY_TABLE_BYTES = 16 * 1024 * 1024;
const NAMES_REFRESH_MS = 1000;
/** Deadline of requests that carry none (normalise, event properties): a stuck sandbox must not hold them forever. */
const INTERNAL_TIMEOUT_MS = 30_000;
const CLOSE_GRACE_MS = 2000;
/** How often the node checks the deadlines of requests in its sandboxes (the sandbox itself is exact). */
const DEADLINE_TICK_MS = 10;

/**
 * A module in a sandbox (child process or worker thread). Every request (call, event batch, job)
 * passes a bounded gate and carries a deadline the host enforces itself: at the deadline the
 * caller is answered and the sandbox pinged; one that cannot answer is stuck in synchronous code
 * and is killed. The Supervisor restarts crashed sandboxes; calls in flight then fail with
 * UNAVAILABLE.
 */
export class SandboxHost implements ModuleHost {
  readonly isolation: 'process' | 'worker';
  readonly #o: SandboxHostOptions;
  readonly #env: SandboxEnvironment;
  readonly #launcher: SandboxLauncher;
  readonly #supervisor: Supervisor;
  readonly #gate: CallGate<PendingRequest>;
  readonly #owner: RequestOwner;
  #calls = 0;
  #errors = 0;
  #namesAt = 0;

  private constructor(o: SandboxHostOptions, env: SandboxEnvironment, launcher: SandboxLauncher, logs: LogRelay) {
    this.isolation = o.isolation;
    this.#o = o;
    this.#env = env;
    this.#launcher = launcher;
    this.#gate = new CallGate(o.limits.maxConcurrentCalls, o.limits.maxQueuedCalls);
    this.#supervisor = new Supervisor(launcher, o.restart, logs, {
      up: (sb) => {
        this.#sendNames(sb, Date.now());
        this.#pump();
      },
      crashLooping: (reason) => {
        for (const p of this.#gate.takeWaiting())
          this.#settle(p, unavailable(`module ${this.manifest.name} is crash-looping (degraded): ${reason}`));
      },
    });
    this.#owner = {
      settle: (p, e, v) => this.#settle(p, e, v),
      aborted: (p) => this.#aborted(p),
      deadlines: new DeadlineWheel(DEADLINE_TICK_MS, (p) => this.#deadlinePassed(p)),
    };
  }

  /** Bundles the module, learns its name (process isolation), starts its sandbox; rejects with ModuleLoadError. */
  static async start(o: SandboxHostOptions, env: SandboxEnvironment): Promise<SandboxHost> {
    const entry = resolveModuleEntry(o.spec, o.baseDir);
    const logs = new LogRelay(env.log, path.basename(o.spec), o.limits.maxLogRecordsPerSecond);
    const launcher = await SandboxLauncher.create({ ...o, entry, env, logs, nativeAddon: await allowedAddon(o) });
    // A process is granted its data folders at start, so it must know its name first.
    if (o.isolation === 'process') await launcher.prepareFolders((await launcher.probe(launcher.bundle)).name);
    const host = new SandboxHost(o, env, launcher, logs);
    if (!(await host.#supervisor.launch()))
      throw new ModuleLoadError(o.spec, `failed to import ${entry}: ${host.#supervisor.lastError}`);
    return host;
  }

  get manifest(): ModuleManifest {
    const m = this.#supervisor.manifest;
    if (m === undefined) throw new Error('module host not started');
    return m;
  }

  /** OS process id of the current sandbox (process isolation), for operators and tests. */
  get pid(): number | undefined {
    return this.#supervisor.sandbox?.pid;
  }

  status(): HostStatus {
    const s = this.#supervisor;
    const sb = s.live ? s.sandbox : undefined;
    return {
      state: s.state,
      lastError: s.lastError,
      restarts: s.restarts,
      memoryBytes: sb === undefined ? 0 : this.isolation === 'process' ? sb.rss : sb.heapUsed,
      inFlight: this.#gate.running + this.#gate.waiting,
      calls: this.#calls,
      errors: this.#errors,
      sandbox: this.#launcher.report(),
    };
  }

  call(call: HostCall, control: HostCallControl): Promise<CallOutcome> {
    const body: RequestMessage = {
      id: 0,
      type: 'call',
      kind: call.kind,
      name: call.name,
      args: call.args,
      argsJson: call.argsJson,
      deadline: call.deadline,
      progress: control.onProgress !== undefined,
      ...(control.authority !== undefined && this.#memoized(call.kind, call.name) ? { memoScope: control.authority.label } : {}),
    };
    return this.#request(body, {
      analytic: call.name,
      deadline: call.deadline,
      signal: control.signal,
      onProgress: control.onProgress,
      authority: control.authority,
      auditId: control.auditId,
      accept: isCallOutcome,
      adopt: fromSandbox,
    }) as Promise<CallOutcome>;
  }

  handleEvents(handler: string, events: readonly EventEnvelope[], control: EventsControl): Promise<number> {
    const accept = (v: unknown) => typeof v === 'number';
    const { delivery } = control;
    // Events read from the stream cross as the bytes they were stored as (protocol.ts, EventsJsonMessage).
    const json = storedJsonArray(events);
    return this.#request(
      {
        id: 0,
        type: 'events',
        handler,
        events,
        deadline: control.deadline,
        ...(json === undefined ? {} : { json }),
        ...(delivery === undefined ? {} : { delivery }),
      },
      { analytic: handler, deadline: control.deadline, signal: control.signal, accept },
    ) as Promise<number>;
  }

  async runJob(job: string, control: { deadline: number; signal: AbortSignal }): Promise<void> {
    await this.#request(
      { id: 0, type: 'job', job, deadline: control.deadline },
      { analytic: job, ...control, accept: () => true },
    );
  }

  normalise(raws: readonly unknown[]): Promise<NormaliseOutcome[]> {
    const accept = (v: unknown) => Array.isArray(v) && v.length === raws.length;
    const whole = this.#request(
      { id: 0, type: 'normalise', raws },
      { analytic: 'normalise', deadline: Date.now() + INTERNAL_TIMEOUT_MS, signal: NEVER_ABORTS, accept },
    ) as Promise<NormaliseOutcome[]>;
    // A batch whose envelopes are over the channel's limit for one message (channel-limits.ts): its halves apart.
    return whole.catch(async (e: unknown) => {
      if (raws.length < 2 || !isInsightsError(e) || e.parameter !== ANSWER_OVER_LIMIT) throw e;
      const half = Math.ceil(raws.length / 2);
      const [a, b] = await Promise.all([this.normalise(raws.slice(0, half)), this.normalise(raws.slice(half))]);
      return [...a, ...b];
    });
  }

  computeProperty(name: string, event: EventEnvelope): Promise<unknown> {
    return this.#request(
      { id: 0, type: 'property', name, event },
      { analytic: name, deadline: Date.now() + INTERNAL_TIMEOUT_MS, signal: NEVER_ABORTS, accept: () => true },
    );
  }

  /**
   * The node reads a module's files itself, never through its sandbox: a file may be larger than
   * anything the node reads from a sandbox's channel (channel-limits.ts). The sandbox writes them
   * where the node reads: on disk, renamed into place and its expiry table saved before the write
   * is acknowledged (DiskModuleFiles); with shared state, in its database through the node.
   */
  readFile(name: string): Promise<Uint8Array> {
    const module = this.manifest.name;
    if (this.#env.sharedState === true)
      return this.#env.db.forModule(module).then((db) => moduleFiles(module, this.#env, db).read(name));
    // A fresh DiskModuleFiles reads the expiry table as the sandbox last saved it.
    const root = this.#launcher.filesRoot(module);
    return new DiskModuleFiles(module, root, this.#env.makeFileUrl, MAX_EXPIRY_TABLE_BYTES).read(name);
  }

  async sweepFiles(): Promise<string[]> {
    const sb = this.#liveSandbox();
    if (sb === undefined) return []; // the next sweep, with the sandbox up, does it
    const v = await this.#ask(sb, { id: 0, type: 'sweep-files' });
    return Array.isArray(v) ? v.map(String) : [];
  }

  /**
   * Loads the module's code again without restarting the node: the new code is bundled and
   * test-loaded first (the old one keeps serving meanwhile), then calls pause, in-flight ones
   * finish, the old sandbox closes and the new one starts (the node keeps the module's db open). If the new one fails,
   * the old code is started again and the error is thrown. The caller rebuilds its dispatcher.
   */
  async reload(): Promise<void> {
    const s = this.#supervisor;
    if (s.closed) throw new InsightsError('FAILED_PRECONDITION', `module ${this.manifest.name} is closed`);
    const next = await this.#launcher.rebundle();
    const probed = await this.#launcher.probe(next);
    if (probed.name !== this.manifest.name)
      throw new InsightsError(
        'FAILED_PRECONDITION',
        `reload changes the module's name from ${this.manifest.name} to ${probed.name}; restart the node instead`,
      );
    s.paused = true;
    try {
      await s.stop(this.#o.limits.unresponsiveMs + CLOSE_GRACE_MS, () => this.#gate.running > 0);
      const previous = this.#launcher.bundle;
      this.#launcher.bundle = next;
      s.forgiveCrashes();
      if (await s.launch()) return;
      const error = s.lastError;
      this.#launcher.bundle = previous;
      if (!(await s.launch())) s.scheduleRestart();
      throw new ModuleLoadError(this.#o.spec, `reloaded code failed to start, previous code restored: ${error}`);
    } finally {
      s.paused = false;
      this.#pump();
    }
  }

  async close(): Promise<void> {
    this.#supervisor.closed = true;
    const name = this.#supervisor.manifest?.name ?? this.#o.spec;
    for (const p of this.#gate.takeWaiting()) this.#settle(p, unavailable(`module ${name} is shutting down`));
    await this.#supervisor.stop(0, () => false);
  }

  /** Every request to the module goes through here: refusal checks, the gate, the deadline. */
  #request(body: RequestMessage, o: RequestOptions): Promise<unknown> {
    const refused = this.#refusal(o);
    if (refused !== undefined) {
      this.#errors++;
      return Promise.reject(refused);
    }
    this.#calls++;
    return new Promise((resolve, reject) => {
      const p = new PendingRequest(this.#owner, body, o, resolve, reject);
      const admitted = this.#gate.admit(p, this.#liveSandbox() !== undefined);
      if (admitted === 'full') {
        p.settled = true;
        this.#errors++;
        const { maxConcurrentCalls: r, maxQueuedCalls: q } = this.#o.limits;
        const analytic = `${this.manifest.name}.${o.analytic}`;
        reject(
          new InsightsError(
            'RESOURCE_EXHAUSTED',
            `module ${this.manifest.name} is busy: ${r} calls running and ${q} waiting (maxConcurrentCalls, maxQueuedCalls)`,
            { analytic },
          ),
        );
        return;
      }
      p.arm();
      if (admitted === 'run') this.#dispatch(p);
    });
  }

  #refusal(o: RequestOptions): InsightsError | undefined {
    const s = this.#supervisor;
    const name = this.manifest.name;
    if (s.closed) return unavailable(`module ${name} is shutting down`);
    if (s.state === 'degraded' && !s.live)
      return unavailable(`module ${name} is restarting after repeated crashes (degraded); last error: ${s.lastError}`);
    if (o.signal.aborted) return cancelReason(o.signal.reason);
    if (o.deadline <= Date.now())
      return new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded', { analytic: `${name}.${o.analytic}` });
    return undefined;
  }

  /** The sandbox to send to, if one serves and no reload is swapping it. */
  #liveSandbox(): Sandbox | undefined {
    const s = this.#supervisor;
    return s.live && !s.paused ? s.sandbox : undefined;
  }

  #dispatch(p: PendingRequest): void {
    const sb = this.#supervisor.sandbox!;
    const now = Date.now();
    // Before the request, so a call that lists the mesh sees the fresh names.
    if (now - this.#namesAt > NAMES_REFRESH_MS) this.#sendNames(sb, now);
    p.sandbox = sb;
    p.id = sb.request(p.body, p);
  }

  #pump(): void {
    while (this.#liveSandbox() !== undefined) {
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
    if (error === undefined) return p.resolve(p.options.adopt === undefined ? value : p.options.adopt(value));
    this.#errors++;
    if (error.code === 'INTERNAL') this.#supervisor.lastError = error.message;
    p.reject(error);
  }

  #deadlinePassed(p: PendingRequest): void {
    const sb = p.sandbox;
    this.#settle(
      p,
      new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded', { analytic: `${this.manifest.name}.${p.options.analytic}` }),
    );
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

  /** A file request: not gated (the node's HTTP server and sweeper), but bounded in time. */
  #ask(sb: Sandbox, body: RequestMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sb.cancel(id, 'DEADLINE_EXCEEDED');
        reject(unavailable(`module ${this.manifest.name} did not answer a file request in time`));
      }, FILE_REQUEST_TIMEOUT_MS);
      const id = sb.request(body, {
        done: (v) => (clearTimeout(timer), resolve(v)),
        failed: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  #memoized(kind: string, name: string): boolean {
    return this.manifest.analytics.some((a) => a.kind === kind && a.name === name && a.meta.memoize !== undefined);
  }

  #sendNames(sb: Sandbox, now: number): void {
    this.#namesAt = now;
    sb.send({ type: 'names', query: this.#env.mesh.names('query'), view: this.#env.mesh.names('view') });
  }
}

/** The operator's addon file as a real path (what lockdown.ts compares), or a clear error. */
async function allowedAddon(o: SandboxHostOptions): Promise<string | undefined> {
  if (o.nativeAddon === undefined) return undefined;
  if (!path.isAbsolute(o.nativeAddon))
    throw new ModuleLoadError(o.spec, `nativeAddon must be an absolute path to one .node file, got ${o.nativeAddon}`);
  try {
    return await realpath(o.nativeAddon);
  } catch (e) {
    throw new ModuleLoadError(o.spec, `nativeAddon ${o.nativeAddon} cannot be read: ${(e as Error).message}`, { cause: e });
  }
}

function unavailable(message: string): InsightsError {
  return new InsightsError('UNAVAILABLE', message);
}

function cancelReason(reason: unknown): InsightsError {
  return isInsightsError(reason) ? reason : new InsightsError('CANCELLED', 'call cancelled by the caller');
}

/** A sandbox's JSON result arrives encoded (packed.ts): it stays so unless the node reads the value. */
function fromSandbox(v: unknown): CallOutcome {
  if (v instanceof EncodedJson) return v;
  const o = v as CallOutcome;
  return o.type === 'json' && o.encoded !== undefined ? new EncodedJson(o.encoded) : o;
}
