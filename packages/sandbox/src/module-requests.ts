import { InsightsError, type EventEnvelope } from '@insights/sdk';
import { checkEmitFields, deriveEvent, maxHops } from '@insights/runtime/internal';
import type { ModuleManifest } from '@insights/runtime/internal';
import { DbBroker } from './db-broker.ts';
import { REQUEST_BYTES_IN_FLIGHT } from './channel-limits.ts';
import { toWireError, type ParentMessage } from './protocol.ts';
import { MAX_MODULE_REQUESTS_IN_FLIGHT, RequestWindow } from './request-window.ts';
import type { Handling, SandboxServices, SandboxSink } from './sandbox-services.ts';

/** What the module's requests need to know of the sandbox they came through. */
export interface RequestingSandbox {
  /** The module as it said it is (undefined until it is ready: its name was checked then). */
  manifest(): ModuleManifest | undefined;
  /** A request of the node's still running in the sandbox, by the id the node issued. */
  running(id: number): SandboxSink | undefined;
  /** The event batches it is handling. */
  handling(): Iterable<Handling>;
  reply(message: ParentMessage): void;
  /** Room again for a request that had to wait (see `waits`): deliver what the sandbox sent next. */
  resume(): void;
}

/**
 * Requests the node answers without this sandbox's help: past the window they wait (the node
 * stops reading the sandbox's channel until one is answered). Nested calls and event properties
 * may need this very sandbox to answer first (a module calling itself), so they never hold the
 * channel: past the window they fail at once.
 */
const WAITING_TYPES: ReadonlySet<unknown> = new Set(['db', 'sql', 'emit', 'file-url', 'learner-id']);

/**
 * What a module asks of the node from inside its sandbox, answered by id: nested calls
 * (`ctx.mesh`), emits, its database and the ones it may read, signed file URLs, learner ids,
 * event properties, SQL. Each message is checked before use: the module can post anything, and
 * names a request of the node's (never an authority or a deadline of its own). Requests in
 * flight are bounded in number (MAX_MODULE_REQUESTS_IN_FLIGHT) and in channel bytes
 * (REQUEST_BYTES_IN_FLIGHT): past a bound the sandbox waits, or its nested calls fail, so however
 * many it sends the node holds at most that many, and that much.
 */
export class ModuleRequests {
  readonly #nested = new Map<number, AbortController>();
  readonly #window: RequestWindow;
  /** Nested calls and event properties in flight: bounded apart, they must not wait (see WAITING_TYPES). */
  readonly #reentrant = new RequestWindow(MAX_MODULE_REQUESTS_IN_FLIGHT, REQUEST_BYTES_IN_FLIGHT, () => undefined);
  readonly #db: DbBroker;
  /** Brokers of other modules' databases this module reads (ctx.readDb), by owner. */
  readonly #reads = new Map<string, DbBroker>();

  constructor(
    private readonly services: SandboxServices,
    private readonly sandbox: RequestingSandbox,
  ) {
    this.#window = new RequestWindow(MAX_MODULE_REQUESTS_IN_FLIGHT, REQUEST_BYTES_IN_FLIGHT, () => sandbox.resume());
    this.#db = new DbBroker(() => {
      // Only once the module has said who it is; its name was checked (validate.ts, and the probe's).
      const manifest = sandbox.manifest();
      if (manifest === undefined) return Promise.reject(new InsightsError('UNAVAILABLE', 'the module has not loaded yet'));
      return services.db(manifest.name);
    });
  }

  /** What answers each request type, by the id the sandbox gave the request and its channel bytes. */
  readonly #handlers = new Map<unknown, (id: number, m: Record<string, unknown>, bytes: number) => void>([
    ['mesh', (id, m, bytes) => this.#nestedCall(id, m, bytes)],
    ['mesh-cancel', (id) => this.#nested.get(id)?.abort(new InsightsError('CANCELLED', 'nested call cancelled'))],
    ['file-url', (id, m, b) => this.#windowed(id, b, () => this.services.fileUrl(String(m.name), Number(m.ttlSeconds)))],
    ['learner-id', (id, m, b) => this.#windowed(id, b, () => this.services.learnerId(m.learner))],
    ['emit', (id, m, b) => this.#windowed(id, b, () => this.#emit(m))],
    ['db', (id, m, b) => this.#windowed(id, b, () => this.#brokerFor(m.of).run(m.op, this.#deadlineOf(m.call)))],
    [
      'event-property',
      (id, m, b) => this.#reentrantRequest(id, b, () => this.services.property!(envelope(m.event), String(m.name))),
    ],
    ['sql', (id, m, b) => this.#windowed(id, b, () => this.services.sql!.handle(m))],
  ]);

  /**
   * True when `m` (`bytes` on the channel) is a request that must wait: the window is full. The
   * sandbox's messages from `m` on are then held (`RequestingSandbox.resume` says when to go on).
   */
  waits(m: Record<string, unknown>, bytes: number): boolean {
    return WAITING_TYPES.has(m.type) && typeof m.id === 'number' && !this.#window.hasRoom(bytes);
  }

  /** Answers `m` if it is a module request (one without a numeric id is ignored); false when its type is none. */
  handle(m: Record<string, unknown>, bytes: number): boolean {
    const handler = this.#handlers.get(m.type);
    if (handler === undefined) return false;
    if (typeof m.id === 'number') handler(m.id, m, bytes);
    return true;
  }

  /** The sandbox is gone: nested calls stop with `gone`, database connections close. */
  close(gone: InsightsError): void {
    for (const c of this.#nested.values()) c.abort(gone);
    this.#nested.clear();
    this.services.sql?.closeAll();
    void this.#db.close();
    for (const b of this.#reads.values()) void b.close();
  }

  /**
   * `ctx.emit` from inside: the sandbox names the fields a module may decide and which events of
   * a batch it is handling caused the event; source, id and hops are derived here from that
   * batch as the host sent it. The hop count is one more than the batch's highest, so naming a
   * platform event cannot reset it.
   */
  #emit(m: Record<string, unknown>): Promise<void> {
    const emit = this.services.emit;
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
    const batch = [...this.sandbox.handling()].find((h) => {
      if (h.handler !== handler || parents.length > h.events.length) return false;
      const ids = (h.ids ??= new Set(h.events.map((e) => e.id)));
      return parents.every((p) => ids.has(p as string));
    });
    const manifest = this.sandbox.manifest();
    if (batch === undefined || manifest === undefined)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `ctx.emit: handler ${JSON.stringify(handler).slice(0, 80)} is not handling the events it names; a module emits only while handling them`,
        { parameter: 'parents' },
      );
    const cause = { handler, parents: parents as string[], fields };
    return emit(deriveEvent(manifest.name, handler, cause.parents, maxHops(batch.events), fields), cause);
  }

  /**
   * `ctx.mesh` from inside: through the node's Dispatcher, like any other caller, with the
   * authority of the request it names. Only a request still running in this sandbox counts; the
   * sandbox names it by the id the node issued and never sees the authority itself.
   */
  #nestedCall(id: number, m: Record<string, unknown>, bytes: number): void {
    const kind = m.kind === 'view' ? 'view' : 'query';
    const causedBy = typeof m.call === 'number' ? this.sandbox.running(m.call) : undefined;
    if (causedBy?.makesNestedCalls !== true) {
      const message = 'a nested call must come from a call, event batch or job that is still running in this module';
      this.sandbox.reply({ type: 'failed', id, error: { code: 'PERMISSION_DENIED', message } });
      return;
    }
    const controller = new AbortController();
    const args = typeof m.args === 'object' && m.args !== null ? (m.args as Record<string, unknown>) : {};
    const deadline = typeof m.deadline === 'number' ? m.deadline : undefined;
    const caller = { module: this.sandbox.manifest()?.name ?? '', authority: causedBy.authority, parentId: causedBy.auditId };
    const started = this.#reentrantRequest(
      id,
      bytes,
      () => this.services.mesh.invoke(kind, String(m.name), args, { deadline, signal: controller.signal }, caller),
      () => this.#nested.delete(id),
    );
    if (started) this.#nested.set(id, controller);
  }

  /** A request that waits for room: the sandbox checked `waits` first, so there is room. */
  #windowed(id: number, bytes: number, work: () => unknown): void {
    this.#window.take(bytes);
    this.#answer(id, work, () => this.#window.release(bytes));
  }

  /** A nested call or event property; past the bounds it fails at once (it must not hold the channel): false. */
  #reentrantRequest(id: number, bytes: number, work: () => unknown, after?: () => void): boolean {
    const r = this.#reentrant;
    if (!r.fits(bytes)) {
      const message = `the module has ${r.size} nested calls and event properties in flight or ${r.maxBytes} bytes of them, the most a sandbox may (MAX_MODULE_REQUESTS_IN_FLIGHT, REQUEST_BYTES_IN_FLIGHT); wait for some to finish`;
      this.sandbox.reply({ type: 'failed', id, error: { code: 'RESOURCE_EXHAUSTED', message } });
      return false;
    }
    r.take(bytes);
    this.#answer(id, work, () => {
      r.release(bytes);
      after?.();
    });
    return true;
  }

  #brokerFor(of: unknown): DbBroker {
    if (of === undefined) return this.#db;
    const owner = String(of);
    let b = this.#reads.get(owner);
    if (b === undefined) this.#reads.set(owner, (b = new DbBroker((deadline) => this.services.readDb(owner, deadline))));
    return b;
  }

  /**
   * The deadline of the request a database operation names, as the node recorded it (the sandbox
   * cannot lengthen it); undefined when it names none still running (the node's default applies).
   */
  #deadlineOf(call: unknown): number | undefined {
    return typeof call === 'number' ? this.sandbox.running(call)?.deadline : undefined;
  }

  #answer(id: number, work: () => unknown, after?: () => void): void {
    Promise.resolve()
      .then(work)
      .then(
        (value) => this.sandbox.reply({ type: 'done', id, value }),
        (e: unknown) => this.sandbox.reply({ type: 'failed', id, error: toWireError(e) }),
      )
      .finally(after);
  }
}

/** Events from a sandbox go to the node's event path, which checks envelopes itself; only refuse non-objects here. */
function envelope(v: unknown): EventEnvelope {
  if (typeof v !== 'object' || v === null) throw new InsightsError('INVALID_ARGUMENT', 'an event must be an object');
  return v as EventEnvelope;
}
