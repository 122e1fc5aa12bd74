import { InsightsError } from '@insights/sdk';
import { MODULE_THROWABLE_CODES } from '@insights/sdk/internal';
import { decodeResult, EncodedJson } from '@insights/wire';
import type { ModuleManifest } from '@insights/runtime/internal';
import { ModuleRequests } from './module-requests.ts';
import { Outbox } from './outbox.ts';
import { isPackedResults, isPackedView, packRequests, unpackResults, unpackView } from './packed.ts';
import {
  fromWireError,
  toWireError,
  type InitMessage,
  type ParentBatch,
  type ParentMessage,
  type RequestMessage,
  type WireError,
} from './protocol.ts';
import type { Handling, SandboxServices, SandboxSink } from './sandbox-services.ts';
import type { SandboxTransport, TransportEvents } from './transport.ts';
import { checkManifest } from './validate.ts';

export type { SandboxServices, SandboxSink } from './sandbox-services.ts';

export type Launch = (events: TransportEvents) => SandboxTransport;

/** Codes a sandbox may answer with; anything else (say, a module posting UNAVAILABLE itself) becomes INTERNAL. */
const ANSWER_CODES: ReadonlySet<string> = new Set([
  ...MODULE_THROWABLE_CODES,
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'INTERNAL',
  'RESOURCE_EXHAUSTED',
]);
const START_TIMEOUT_MS = 30_000;
/** A ping timer firing later than this means the node's own event loop was late (see checkAlive). */
const LOOP_LATE_SLACK_MS = 50;

/**
 * One life of one sandbox, from launch to exit: the handshake, the node's requests and their
 * answers, liveness pings. What the module asks of the node goes to ModuleRequests. Every
 * message from the sandbox is checked before use: the module runs in there and can post anything.
 */
export class Sandbox {
  readonly ready: Promise<ModuleManifest>;
  readonly #transport: SandboxTransport;
  readonly #out: Outbox<ParentMessage, ParentBatch[number]>;
  readonly #services: SandboxServices;
  readonly #onExit: (reason: string) => void;
  readonly #pending = new Map<number, SandboxSink>();
  readonly #handling = new Map<number, Handling>();
  readonly #requests: ModuleRequests;
  #manifest: ModuleManifest | undefined;
  #nextId = 0;
  #started = false;
  #exited = false;
  #settleReady: { resolve(m: ModuleManifest): void; reject(e: Error): void } | undefined;
  #pingSeq = 0;
  #pingTimer: NodeJS.Timeout | undefined;
  #killReason = '';
  #afterExit: () => void = () => undefined;
  rss = 0;
  heapUsed = 0;

  /**
   * @param expectedName the name the module's probe reported (its folders are named after it):
   *   a sandbox that reports another name is refused.
   */
  constructor(
    launch: Launch,
    init: InitMessage,
    services: SandboxServices,
    onExit: (reason: string) => void,
    readonly expectedName?: string,
  ) {
    this.#services = services;
    this.#onExit = onExit;
    this.#requests = new ModuleRequests(services, {
      manifest: () => this.#manifest,
      running: (id) => this.#pending.get(id),
      handling: () => this.#handling.values(),
      reply: (message) => this.send(message),
      resume: () => this.#transport.resume(),
    });
    this.ready = new Promise((resolve, reject) => (this.#settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // the owner awaits it; an early exit must not be "unhandled"
    const startTimer = setTimeout(() => this.kill(`did not load within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    void this.ready.finally(() => clearTimeout(startTimer)).catch(() => undefined);
    this.#transport = launch({
      onMessage: (m, bytes) => this.#onMessage(m, bytes),
      onBroken: (reason) => this.kill(`broke the sandbox protocol: ${reason}`),
      onOutput: (stream, line) => services.logs.line(stream, line),
      onExit: (reason) => this.#exit(reason),
    });
    this.#out = new Outbox((batch) => this.#transport.post(batch), { pack: packRequests });
    this.#out.push(init);
  }

  get pid(): number | undefined {
    return this.#transport.pid;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** True once the module loaded and said ready: from then on an exit is a crash. */
  get started(): boolean {
    return this.#started;
  }

  /** Sends a request; the answer goes to `sink`. Returns its id (for cancel). */
  request(message: RequestMessage, sink: SandboxSink): number {
    const id = ++this.#nextId;
    if (this.#exited) {
      sink.failed(new InsightsError('UNAVAILABLE', 'the module sandbox has exited'));
      return id;
    }
    this.#pending.set(id, sink);
    if (message.type === 'events') {
      this.#handling.set(id, { handler: message.handler, events: message.events });
      if (message.json !== undefined) {
        const { handler, json, deadline, delivery } = message;
        this.#out.push({ type: 'events-json', id, handler, json, deadline, ...(delivery === undefined ? {} : { delivery }) });
        return id;
      }
    }
    message.id = id;
    this.#out.push(message);
    return id;
  }

  /** Forgets a request (its caller has been answered) and tells the sandbox to stop it. */
  cancel(id: number, code: 'CANCELLED' | 'DEADLINE_EXCEEDED'): void {
    this.#handling.delete(id);
    if (this.#pending.delete(id) && !this.#exited) this.#out.push({ type: 'cancel', id, code });
  }

  send(message: ParentMessage): void {
    if (!this.#exited) this.#out.push(message);
  }

  /** Pings; if no answer comes within `timeoutMs` the event loop is stuck, and the sandbox is killed. */
  checkAlive(timeoutMs: number): void {
    if (this.#pingTimer !== undefined || this.#exited) return;
    const seq = ++this.#pingSeq;
    this.#out.push({ type: 'ping', seq });
    let due = performance.now() + timeoutMs;
    const judge = (): void => {
      // This timer firing late means the node's own event loop was busy: timers run before pending
      // I/O is read, so the pong may be waiting unread. The sandbox is not blamed for our lateness:
      // it gets that much longer, by which time what it sent has been read.
      const late = performance.now() - due;
      if (late > LOOP_LATE_SLACK_MS) {
        due = performance.now() + late;
        this.#pingTimer = setTimeout(judge, late);
        return;
      }
      this.kill(`stopped responding (event loop blocked for over ${timeoutMs} ms past a call's deadline)`);
    };
    this.#pingTimer = setTimeout(judge, timeoutMs);
  }

  kill(reason: string): void {
    if (this.#exited) return;
    this.#killReason ||= reason;
    this.#transport.kill();
  }

  /** Asks the sandbox to close its db and exit; kills it after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise<void>((resolve) => {
      const prev = this.#afterExit;
      this.#afterExit = () => (prev(), resolve());
    });
    this.#killReason ||= 'closed';
    this.#out.push({ type: 'close' });
    const timer = setTimeout(() => this.#transport.kill(), graceMs);
    await gone;
    clearTimeout(timer);
  }

  #exit(reason: string): void {
    this.#exited = true;
    this.#out.clear();
    clearTimeout(this.#pingTimer);
    const why = this.#killReason === '' ? reason : `${this.#killReason} (${reason})`;
    this.#settleReady?.reject(new Error(why));
    const gone = new InsightsError('UNAVAILABLE', `the module's sandbox ${why}; the call may have partly run`);
    for (const sink of this.#pending.values()) sink.failed(gone);
    this.#pending.clear();
    this.#requests.close(gone);
    this.#handling.clear();
    this.#afterExit();
    this.#onExit(why);
  }

  /** One message from the sandbox; false when it is a module request that must wait for room (module-requests.ts). */
  #onMessage(m: unknown, bytes: number): boolean {
    // Held messages are still delivered when a slot frees after the exit: nothing is started for them.
    if (this.#exited) return true;
    if (m instanceof Uint8Array) {
      if (isPackedView(m)) this.#view(m);
      else if (!isPackedResults(m) || !unpackResults(m, this.#result)) this.kill('broke the sandbox protocol');
      return true;
    }
    if (typeof m !== 'object' || m === null) {
      this.kill('broke the sandbox protocol');
      return true;
    }
    if (this.#requests.waits(m as Record<string, unknown>, bytes)) return false;
    try {
      this.#handle(m as Record<string, unknown>, bytes);
    } catch (e) {
      this.#services.logs.record('error', 'bad message from sandbox', { error: (e as Error).message });
    }
    return true;
  }

  /** A call's JSON result, a view of the packed buffer: written into the gRPC frame as is. */
  readonly #result = (id: number, json: Uint8Array): void => {
    const sink = this.#pending.get(id);
    if (sink === undefined) return;
    if (sink.isCall !== true) return this.kill('broke the sandbox protocol');
    this.#pending.delete(id);
    sink.done(new EncodedJson(json));
  };

  /** A call's view result: its body as the sandbox encoded it, decoded as a client would. */
  #view(bytes: Uint8Array): void {
    const v = unpackView(bytes);
    const sink = v === undefined ? undefined : this.#pending.get(v.id);
    if (v === undefined || (sink !== undefined && sink.isCall !== true)) return this.kill('broke the sandbox protocol');
    if (sink === undefined) return;
    let outcome;
    try {
      outcome = decodeResult(v);
    } catch (e) {
      return this.kill(`broke the sandbox protocol: ${(e as Error).message}`);
    }
    this.#pending.delete(v.id);
    sink.done(outcome);
  }

  #handle(m: Record<string, unknown>, bytes: number): void {
    const id = m.id;
    switch (m.type) {
      case 'done':
      case 'failed': {
        const sink = typeof id === 'number' ? this.#pending.get(id) : undefined;
        if (sink === undefined) return;
        this.#pending.delete(id as number);
        this.#handling.delete(id as number);
        if (m.type === 'done') sink.done(m.value);
        else sink.failed(fromWireError(asWireError(m.error), ANSWER_CODES));
        return;
      }
      case 'progress': {
        const sink = typeof id === 'number' ? this.#pending.get(id) : undefined;
        if (typeof m.fraction === 'number' && Number.isFinite(m.fraction))
          sink?.progress?.(Math.min(1, Math.max(0, m.fraction)), String(m.message ?? ''));
        return;
      }
      case 'ready': {
        if (this.#started) return;
        let manifest: ModuleManifest;
        try {
          manifest = checkManifest(m.manifest);
        } catch (e) {
          return this.kill((e as Error).message);
        }
        if (this.expectedName !== undefined && manifest.name !== this.expectedName)
          return this.kill(
            `reported the module name ${JSON.stringify(manifest.name)}, but its probe reported ${JSON.stringify(this.expectedName)}: refused`,
          );
        this.#started = true;
        this.#manifest = manifest;
        this.#settleReady?.resolve(manifest);
        return;
      }
      case 'load-failed':
        this.#killReason ||= `failed to load: ${String(m.message).slice(0, 2000)}`;
        this.#settleReady?.reject(new Error(this.#killReason));
        return;
      case 'pong':
        if (m.seq === this.#pingSeq) {
          clearTimeout(this.#pingTimer);
          this.#pingTimer = undefined;
        }
        return;
      case 'stats':
        if (typeof m.rss === 'number') this.rss = m.rss;
        if (typeof m.heapUsed === 'number') this.heapUsed = m.heapUsed;
        return;
      case 'log':
        this.#services.logs.record(m.level, m.msg, m.fields);
        return;
      default:
        if (!this.#requests.handle(m, bytes)) this.kill('broke the sandbox protocol');
    }
  }
}

function asWireError(e: unknown): WireError {
  if (typeof e === 'object' && e !== null) return toWireError(e);
  return { code: 'INTERNAL', message: 'the sandbox sent a malformed error' };
}
