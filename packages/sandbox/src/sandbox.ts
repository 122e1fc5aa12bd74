import { InsightsError, type Db, type EventEnvelope } from '@insights/sdk';
import { MODULE_THROWABLE_CODES } from '@insights/sdk/internal';
import { EncodedJson } from '@insights/wire';
import { checkEmitFields, deriveEvent, maxHops } from '@insights/runtime/internal';
import type { CallAuthority, NestedCallInvoker, ModuleManifest, EmitCause } from '@insights/runtime/internal';
import { DbBroker } from './db-broker.ts';
import type { LogRelay } from './log-relay.ts';
import type { SqlCursors } from './sql-cursors.ts';
import { Outbox } from './outbox.ts';
import { isPackedResults, packRequests, unpackResults } from './packed.ts';
import {
  fromWireError,
  toWireError,
  type InitMessage,
  type ParentBatch,
  type ParentMessage,
  type RequestMessage,
  type WireError,
} from './protocol.ts';
import type { SandboxTransport, TransportEvents } from './transport.ts';
import { checkManifest } from './validate.ts';

/** Whoever waits for an answer from the sandbox (a call, a file read). */
export interface SandboxSink {
  done(value: unknown): void;
  failed(error: InsightsError): void;
  progress?(fraction: number, message: string): void;
  /** Whether it waits for a call's answer: only those may come packed (packed.ts). */
  readonly isCall?: boolean | undefined;
  /** Whether the request's handler has a `ctx.mesh` (calls, event batches, jobs): only those may be named by nested calls. */
  readonly makesNestedCalls?: boolean | undefined;
  /** Whose authority nested calls naming this request carry (undefined: the module's own). */
  readonly authority?: CallAuthority | undefined;
  /** The request's audit id, the parent of the nested calls naming it. */
  readonly auditId?: string | undefined;
  /** The request's deadline (epoch ms): reads through the mesh naming it end by then. */
  readonly deadline?: number | undefined;
}

/** What the node lends a sandbox: the mesh, URL signing, events, the log. */
export interface SandboxServices {
  readonly mesh: NestedCallInvoker;
  fileUrl(name: string, ttlSeconds: number): string | Promise<string>;
  /** Keyed learner ids (`ctx.learnerId`), as the module the node loaded. */
  learnerId(learner: unknown): string | Promise<string>;
  emit?: ((event: EventEnvelope, cause: EmitCause) => Promise<void>) | undefined;
  property?: ((event: EventEnvelope, name: string) => Promise<unknown>) | undefined;
  /** The module's own database, opened by the node by the module's (checked) name. */
  db(moduleName: string): Promise<Db>;
  /** Another module's database, read-only, where the node allows this module (ctx.readDb); reads through the mesh end by `deadline`. */
  readDb(owner: string, deadline: number | undefined): Promise<Db>;
  /** The node's read replicas, bound to this module's name by the node. */
  readonly sql?: SqlCursors | undefined;
  readonly logs: LogRelay;
}

/** An event batch the sandbox is handling: what its emits may name as their cause. */
interface Handling {
  readonly handler: string;
  readonly events: readonly EventEnvelope[];
  /** Made on the first emit of the batch. */
  ids?: ReadonlySet<string>;
}

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
 * One life of one sandbox, from launch to exit: the handshake, requests and their answers,
 * nested mesh calls and URL signing on the module's behalf, liveness pings. Every message from
 * the sandbox is checked before use: the module runs in there and can post anything.
 */
export class Sandbox {
  readonly ready: Promise<ModuleManifest>;
  readonly #transport: SandboxTransport;
  readonly #out: Outbox<ParentMessage, ParentBatch[number]>;
  readonly #services: SandboxServices;
  readonly #onExit: (reason: string) => void;
  readonly #pending = new Map<number, SandboxSink>();
  readonly #nested = new Map<number, AbortController>();
  readonly #handling = new Map<number, Handling>();
  readonly #db: DbBroker;
  /** Brokers of other modules' databases this module reads (ctx.readDb), by owner. */
  readonly #reads = new Map<string, DbBroker>();
  #manifest: ModuleManifest | undefined;
  #nextId = 0;
  #started = false;
  #exited = false;
  #settleReady: { resolve(m: ModuleManifest): void; reject(e: Error): void } | undefined;
  #pingSeq = 0;
  #pingTimer: NodeJS.Timeout | undefined;
  #killReason = '';
  #module = '';
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
    this.#db = new DbBroker(() => {
      // Only once the module has said who it is; its name was checked (validate.ts, and the probe's).
      if (this.#manifest === undefined) return Promise.reject(new InsightsError('UNAVAILABLE', 'the module has not loaded yet'));
      return services.db(this.#manifest.name);
    });
    this.ready = new Promise((resolve, reject) => (this.#settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // the owner awaits it; an early exit must not be "unhandled"
    const startTimer = setTimeout(() => this.kill(`did not load within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    void this.ready.finally(() => clearTimeout(startTimer)).catch(() => undefined);
    this.#transport = launch({
      onBatch: (b) => this.#onBatch(b),
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
    if (message.type === 'events') this.#handling.set(id, { handler: message.handler, events: message.events });
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
    this.#services.sql?.closeAll();
    clearTimeout(this.#pingTimer);
    const why = this.#killReason === '' ? reason : `${this.#killReason} (${reason})`;
    this.#settleReady?.reject(new Error(why));
    const gone = new InsightsError('UNAVAILABLE', `the module's sandbox ${why}; the call may have partly run`);
    for (const sink of this.#pending.values()) sink.failed(gone);
    this.#pending.clear();
    for (const c of this.#nested.values()) c.abort(gone);
    this.#nested.clear();
    this.#handling.clear();
    void this.#db.close();
    for (const b of this.#reads.values()) void b.close();
    this.#afterExit();
    this.#onExit(why);
  }

  #onBatch(batch: unknown): void {
    if (!Array.isArray(batch)) return this.kill('broke the sandbox protocol');
    for (const m of batch as unknown[]) {
      if (m instanceof Uint8Array) {
        if (!isPackedResults(m) || !unpackResults(m, this.#result)) return this.kill('broke the sandbox protocol');
        continue;
      }
      if (typeof m !== 'object' || m === null) return this.kill('broke the sandbox protocol');
      try {
        this.#handle(m as Record<string, unknown>);
      } catch (e) {
        this.#services.logs.record('error', 'bad message from sandbox', { error: (e as Error).message });
      }
    }
  }

  /** A call's JSON result, a view of the packed buffer: written into the gRPC frame as is. */
  readonly #result = (id: number, json: Uint8Array): void => {
    const sink = this.#pending.get(id);
    if (sink === undefined) return;
    if (sink.isCall !== true) return this.kill('broke the sandbox protocol');
    this.#pending.delete(id);
    sink.done(new EncodedJson(json));
  };

  #handle(m: Record<string, unknown>): void {
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
        this.#module = manifest.name;
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
      case 'mesh':
        if (typeof id === 'number') this.#nestedCall(id, m);
        return;
      case 'mesh-cancel':
        if (typeof id === 'number') this.#nested.get(id)?.abort(new InsightsError('CANCELLED', 'nested call cancelled'));
        return;
      case 'file-url':
        if (typeof id === 'number') this.#answer(id, () => this.#services.fileUrl(String(m.name), Number(m.ttlSeconds)));
        return;
      case 'learner-id':
        if (typeof id === 'number') this.#answer(id, () => this.#services.learnerId(m.learner));
        return;
      case 'emit':
        if (typeof id === 'number') this.#answer(id, () => this.#emit(m));
        return;
      case 'db':
        // The module awaits it, usually one at a time: answer at the end of this turn.
        if (typeof id === 'number') this.#answer(id, () => this.#brokerFor(m.of).run(m.op, this.#deadlineOf(m.call)));
        return;
      case 'event-property':
        if (typeof id === 'number') this.#answer(id, () => this.#services.property!(envelope(m.event), String(m.name)));
        return;
      case 'sql':
        if (typeof id === 'number') this.#answer(id, () => this.#services.sql!.handle(m));
        return;
      default:
        this.kill('broke the sandbox protocol');
    }
  }

  /**
   * `ctx.emit` from inside: the sandbox names the fields a module may decide and which events of
   * a batch it is handling caused the event; source, id and hops are derived here from that
   * batch as the host sent it. The hop count is one more than the batch's highest, so naming a
   * platform event cannot reset it.
   */
  #emit(m: Record<string, unknown>): Promise<void> {
    const emit = this.#services.emit;
    if (emit === undefined)
      throw new InsightsError('FAILED_PRECONDITION', 'events are not wired on this host; ctx.emit is unavailable');
    const fields = checkEmitFields(m.event, true);
    const handler = m.handler;
    const parents = m.parents;
    if (
      typeof handler !== 'string' ||
      !Array.isArray(parents) ||
      parents.length === 0 ||
      !parents.every((p) => typeof p === 'string')
    )
      throw new InsightsError(
        'INVALID_ARGUMENT',
        'ctx.emit: an emit must name its handler and the ids of the events that caused it',
        {
          parameter: 'parents',
        },
      );
    const batch = [...this.#handling.values()].find((h) => {
      if (h.handler !== handler || parents.length > h.events.length) return false;
      const ids = (h.ids ??= new Set(h.events.map((e) => e.id)));
      return parents.every((p) => ids.has(p as string));
    });
    if (batch === undefined || this.#manifest === undefined)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `ctx.emit: handler ${JSON.stringify(handler).slice(0, 80)} is not handling the events it names; a module emits only while handling them`,
        { parameter: 'parents' },
      );
    const cause = { handler, parents: parents as string[], fields };
    return emit(deriveEvent(this.#manifest.name, handler, cause.parents, maxHops(batch.events), fields), cause);
  }

  /**
   * `ctx.mesh` from inside: through the node's Dispatcher, like any other caller, with the
   * authority of the request it names. Only a request still running in this sandbox counts; the
   * sandbox names it by the id this side issued and never sees the authority itself.
   */
  #nestedCall(id: number, m: Record<string, unknown>): void {
    const kind = m.kind === 'view' ? 'view' : 'query';
    const causedBy = typeof m.call === 'number' ? this.#pending.get(m.call) : undefined;
    if (causedBy?.makesNestedCalls !== true) {
      const message = 'a nested call must come from a call, event batch or job that is still running in this module';
      this.send({ type: 'failed', id, error: { code: 'PERMISSION_DENIED', message } });
      return;
    }
    const controller = new AbortController();
    this.#nested.set(id, controller);
    const args = typeof m.args === 'object' && m.args !== null ? (m.args as Record<string, unknown>) : {};
    const deadline = typeof m.deadline === 'number' ? m.deadline : undefined;
    const caller = { module: this.#module, authority: causedBy.authority, parentId: causedBy.auditId };
    this.#answer(
      id,
      () => this.#services.mesh.invoke(kind, String(m.name), args, { deadline, signal: controller.signal }, caller),
      () => this.#nested.delete(id),
    );
  }

  #brokerFor(of: unknown): DbBroker {
    if (of === undefined) return this.#db;
    const owner = String(of);
    let b = this.#reads.get(owner);
    if (b === undefined) this.#reads.set(owner, (b = new DbBroker((deadline) => this.#services.readDb(owner, deadline))));
    return b;
  }

  /**
   * The deadline of the request a database operation names, as this side recorded it (the sandbox
   * cannot lengthen it); undefined when it names none still running (the node's default applies).
   */
  #deadlineOf(call: unknown): number | undefined {
    return typeof call === 'number' ? this.#pending.get(call)?.deadline : undefined;
  }

  #answer(id: number, work: () => unknown, after?: () => void): void {
    Promise.resolve()
      .then(work)
      .then(
        (value) => this.send({ type: 'done', id, value }),
        (e: unknown) => this.send({ type: 'failed', id, error: toWireError(e) }),
      )
      .finally(after);
  }
}

/** Events from a sandbox go to the node's event path, which checks envelopes itself; only refuse non-objects here. */
function envelope(v: unknown): EventEnvelope {
  if (typeof v !== 'object' || v === null) throw new InsightsError('INVALID_ARGUMENT', 'an event must be an object');
  return v as EventEnvelope;
}

function asWireError(e: unknown): WireError {
  if (typeof e === 'object' && e !== null) return toWireError(e);
  return { code: 'INTERNAL', message: 'the sandbox sent a malformed error' };
}
