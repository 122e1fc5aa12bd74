/**
 * Aggregations that hold their input (`$group`, `$sort`, `$facet`, joins read whole: see
 * holdsInput) run in a worker process of the node instead of on its event loop. mingo runs such a
 * stage synchronously: on the node's thread a `$group` over 200,000 documents held every other
 * module's calls, events and heartbeats for 0.3 s, and a module could repeat it without end. In
 * the worker it takes that process only, within a heap limit and a time limit (the worker is
 * killed, and started again for the next request). A process, not a worker thread: a thread's
 * resourceLimits did not hold against one array growing past them (V8 ended the whole process).
 * Requests take turns by database, so one module's aggregations queue behind each other, not in
 * front of every other module's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { deserialize } from 'node:v8';
import type { DbErrorCode, Document } from '@insights/sdk';
import { DbError } from './errors.ts';

/** How long one aggregation may run in the worker, ms. */
export const AGGREGATION_TIMEOUT_MS = 30_000;
/** The worker's V8 heap (old generation), MiB: what one aggregation may build. */
export const AGGREGATION_HEAP_MB = 512;
/** The most an aggregation may return, bytes (serialised). */
export const AGGREGATION_MAX_RESULT_BYTES = 64 * 1024 * 1024;
/** A worker with nothing to do for this long ends (it is started again when needed), ms. */
const IDLE_MS = 60_000;

export interface OffloadRequest {
  readonly id: number;
  /** The module database's SQLite file. */
  readonly file: string;
  readonly database: string;
  readonly collection: string;
  readonly pipeline: unknown;
  readonly maxResultBytes: number;
}

export type OffloadAnswer =
  | { readonly id: number; readonly results: Uint8Array }
  | { readonly id: number; readonly error: { code: DbErrorCode; message: string; namespace?: string | undefined } };

export interface OffloadOptions {
  /** The worker's script: plain JavaScript (the node bundles aggregate-worker-main.ts, see AGGREGATE_WORKER_ENTRY). */
  readonly workerFile: () => Promise<string>;
  readonly timeoutMs?: number;
  readonly heapMb?: number;
  readonly maxResultBytes?: number;
}

interface Pending {
  readonly request: Omit<OffloadRequest, 'id' | 'maxResultBytes'>;
  readonly resolve: (docs: Document[]) => void;
  readonly reject: (e: unknown) => void;
}

interface Running {
  readonly id: number;
  readonly pending: Pending;
  timer: NodeJS.Timeout | undefined;
}

export class AggregateOffload {
  readonly #o: OffloadOptions;
  /** Waiting requests by database, served in turns. */
  readonly #queues = new Map<string, Pending[]>();
  #worker: ChildProcess | undefined;
  #running: Running | undefined;
  #nextId = 0;
  #idle: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: OffloadOptions) {
    this.#o = o;
  }

  /** Runs `pipeline` on `collection` of the database in `file`; resolves with every result. */
  run(request: Pending['request']): Promise<Document[]> {
    if (this.#closed) return Promise.reject(new DbError('DB_CLOSED', 'The database provider was closed.'));
    return new Promise((resolve, reject) => {
      let q = this.#queues.get(request.database);
      if (q === undefined) this.#queues.set(request.database, (q = []));
      q.push({ request, resolve, reject });
      void this.#next();
    });
  }

  /** Ends the worker; waiting aggregations fail with DB_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new DbError('DB_CLOSED', 'The database provider was closed.');
    for (const q of this.#queues.values()) for (const p of q) p.reject(closed);
    this.#queues.clear();
    this.#settle(undefined, closed);
    await this.#stop();
  }

  async #next(): Promise<void> {
    if (this.#running !== undefined || this.#closed) return;
    const pending = this.#take();
    if (pending === undefined) {
      this.#idle ??= setTimeout(() => void this.#stop(), IDLE_MS).unref();
      return;
    }
    clearTimeout(this.#idle);
    this.#idle = undefined;
    const id = ++this.#nextId;
    const running: Running = { id, pending, timer: undefined };
    this.#running = running;
    try {
      const worker = await this.#start();
      if (this.#running !== running) return;
      // The aggregation's own time: from when a started worker has it.
      const timeoutMs = this.#o.timeoutMs ?? AGGREGATION_TIMEOUT_MS;
      running.timer = setTimeout(() => {
        const ns = `${pending.request.database}.${pending.request.collection}`;
        this.#settle(id, costly(ns, `ran longer than ${timeoutMs / 1000} s`));
        void this.#stop().then(() => this.#next());
      }, timeoutMs);
      worker.send({ ...pending.request, id, maxResultBytes: this.#o.maxResultBytes ?? AGGREGATION_MAX_RESULT_BYTES });
    } catch (e) {
      this.#settle(id, e);
      void this.#next();
    }
  }

  /** The next request: the first of the database after the one served last (round robin). */
  #take(): Pending | undefined {
    for (const [database, q] of this.#queues) {
      const p = q.shift();
      this.#queues.delete(database);
      if (q.length > 0) this.#queues.set(database, q); // to the back of the turn order
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /** Ends the request `id` (undefined: whichever runs) with `error`, or with `docs`. */
  #settle(id: number | undefined, error: unknown, docs?: Document[]): void {
    const r = this.#running;
    if (r === undefined || (id !== undefined && r.id !== id)) return;
    this.#running = undefined;
    clearTimeout(r.timer);
    if (docs !== undefined) r.pending.resolve(docs);
    else r.pending.reject(error);
  }

  async #start(): Promise<ChildProcess> {
    if (this.#worker !== undefined) return this.#worker;
    const file = await this.#o.workerFile();
    const heapMb = this.#o.heapMb ?? AGGREGATION_HEAP_MB;
    const worker = fork(file, [], {
      execArgv: [`--max-old-space-size=${heapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.#worker = worker;
    worker.unref();
    worker.channel?.unref();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('exit', (code, signal) =>
        reject(new DbError('DB_UNAVAILABLE', `The aggregation worker did not start (${signal ?? `exit code ${code}`}).`)),
      );
    });
    worker.on('message', (a: OffloadAnswer | { ready: true }) => {
      if ('ready' in a) return;
      if ('error' in a) this.#settle(a.id, new DbError(a.error.code, a.error.message, { namespace: a.error.namespace }));
      else this.#settle(a.id, undefined, deserialize(a.results) as Document[]);
      void this.#next();
    });
    // A failed send (the worker just died) is reported by 'exit'.
    worker.on('error', () => undefined);
    worker.on('exit', (code, signal) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const r = this.#running;
      // Not stopped by this side (#stop forgets the worker first): V8 ends a process past its heap limit.
      const why = `ended the aggregation worker (${signal ?? `exit code ${code}`}): it went past its ${heapMb} MiB of memory, most likely`;
      if (r !== undefined) this.#settle(r.id, costly(`${r.pending.request.database}.${r.pending.request.collection}`, why));
      void this.#next();
    });
    await ready;
    return worker;
  }

  async #stop(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    clearTimeout(this.#idle);
    this.#idle = undefined;
    if (w === undefined || w.exitCode !== null || w.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.kill('SIGKILL');
    });
  }
}

function costly(ns: string, what: string): DbError {
  return new DbError(
    'DB_AGGREGATION_TOO_COSTLY',
    `The aggregation on ${ns} ${what}: $match its input on an indexed field first, or aggregate fewer documents at a time.`,
    { namespace: ns },
  );
}
