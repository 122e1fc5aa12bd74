/**
 * `ctx.sql` across the sandbox channel, host side: the node runs a sandboxed module's statement
 * under the module's name as the node knows it (never a name the sandbox sends) and hands the rows
 * over batch by batch, so a streamed result never crosses, or sits in either process, whole.
 */
import { InsightsError, type SqlRow } from '@insights/sdk';
import type { SqlGateway } from '@insights/runtime/internal';

/** One answer to the sandbox: rows, and the cursor to ask for more unless `done`. */
export interface SqlPage {
  readonly cursor?: number | undefined;
  readonly rows: SqlRow[];
  readonly done: boolean;
}

interface OpenStatement {
  readonly rows: AsyncIterator<SqlRow[]>;
  readonly abort: AbortController;
  readonly expiry: NodeJS.Timeout;
}

/** Open statements a sandbox may hold at once: each holds a connection of a small pool. */
const MAX_OPEN = 8;

export class SqlCursors {
  #next = 0;
  readonly #open = new Map<number, OpenStatement>();

  constructor(
    private readonly gateway: SqlGateway | undefined,
    private readonly module: () => string,
  ) {}

  /** Answers one `sql` request from the sandbox (`open`, `next` or `close`). */
  handle(m: Readonly<Record<string, unknown>>): Promise<SqlPage> {
    switch (m.op) {
      case 'open':
        return this.#openStatement(m);
      case 'next':
        return this.#page(Number(m.cursor));
      case 'close':
        this.#close(Number(m.cursor));
        return Promise.resolve({ rows: [], done: true });
      default:
        return Promise.reject(new InsightsError('INVALID_ARGUMENT', 'unknown sql operation'));
    }
  }

  async #openStatement(m: Readonly<Record<string, unknown>>): Promise<SqlPage> {
    const module = this.module();
    const source = typeof m.source === 'string' ? m.source : '';
    if (this.gateway === undefined)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${module}" may not use sql source "${source}": this node has no sql sources (the node's config grants them: sql.sources)`,
      );
    if (this.#open.size >= MAX_OPEN)
      throw new InsightsError(
        'RESOURCE_EXHAUSTED',
        `a module may read at most ${MAX_OPEN} sql results at once; finish or break out of one first`,
      );
    const deadline = typeof m.deadline === 'number' && Number.isFinite(m.deadline) ? m.deadline : Date.now();
    const abort = new AbortController();
    const rows = this.gateway
      .run(module, {
        source,
        text: typeof m.text === 'string' ? m.text : '',
        params: Array.isArray(m.params) ? (m.params as unknown[]) : [],
        mode: m.mode === 'stream' ? 'stream' : 'all',
        batchRows: typeof m.batchRows === 'number' ? m.batchRows : undefined,
        deadline,
        signal: abort.signal,
      })
      [Symbol.asyncIterator]();
    const cursor = ++this.#next;
    // A sandbox that never reads on is not allowed to hold the connection past the call's deadline.
    const expiry = setTimeout(() => this.#close(cursor), Math.max(0, deadline - Date.now()) + 1000);
    expiry.unref();
    this.#open.set(cursor, { rows, abort, expiry });
    return this.#page(cursor);
  }

  async #page(cursor: number): Promise<SqlPage> {
    const s = this.#open.get(cursor);
    if (s === undefined)
      throw new InsightsError('FAILED_PRECONDITION', 'this sql result was closed (deadline passed or read to its end)');
    try {
      const r = await s.rows.next();
      if (r.done === true) {
        this.#forget(cursor);
        return { rows: [], done: true };
      }
      return { cursor, rows: r.value, done: false };
    } catch (e) {
      this.#forget(cursor);
      throw e;
    }
  }

  #close(cursor: number): void {
    const s = this.#open.get(cursor);
    if (s === undefined) return;
    this.#forget(cursor);
    s.abort.abort(new InsightsError('CANCELLED', 'the module stopped reading'));
    void s.rows.return?.().catch(() => undefined);
  }

  #forget(cursor: number): void {
    const s = this.#open.get(cursor);
    if (s === undefined) return;
    clearTimeout(s.expiry);
    this.#open.delete(cursor);
  }

  /** The sandbox is gone: stop everything it had open. */
  closeAll(): void {
    for (const cursor of [...this.#open.keys()]) this.#close(cursor);
  }
}

/** What the sandbox asks of the host's SqlCursors. */
export interface SqlAsk {
  readonly op: 'open' | 'next' | 'close';
  readonly [field: string]: unknown;
}

/** `ctx.sql` inside the sandbox: statements and their batches through the channel. */
export function channelSqlGateway(ask: (m: SqlAsk, signal?: AbortSignal) => Promise<unknown>): SqlGateway {
  return {
    async *run(_module, r) {
      // The host runs it as the module it knows; the name here is not sent.
      let page = (await ask(
        {
          op: 'open',
          source: r.source,
          text: r.text,
          params: r.params,
          mode: r.mode,
          batchRows: r.batchRows,
          deadline: r.deadline,
        },
        r.signal,
      )) as SqlPage;
      try {
        for (;;) {
          if (page.rows.length > 0) yield page.rows;
          if (page.done || page.cursor === undefined) return;
          page = (await ask({ op: 'next', cursor: page.cursor }, r.signal)) as SqlPage;
        }
      } finally {
        if (!page.done && page.cursor !== undefined) void ask({ op: 'close', cursor: page.cursor }).catch(() => undefined);
      }
    },
  };
}
