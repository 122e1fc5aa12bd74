/**
 * Cursors of the embedded engine. A cursor starts its query at the first read (like a MongoDB
 * cursor's first batch) and pulls results a page at a time while it is iterated, so iterating a
 * large result never holds it all; `toArray` collects every page. Both give the node's event
 * loop a turn between pages once a read has run for a while (TimeSlice).
 */
import type { AggregateCursor, Document, FindCursor, Projection, Sort } from '@insights/sdk';
import { checkCount } from './cursor-options.ts';
import { DbError } from './errors.ts';
import { OperationClock } from './operation-clock.ts';
import { TimeSlice } from './time-slice.ts';

/** Documents per page handed out by cursors. */
export const PAGE_DOCS = 256;

export interface FindSpec {
  sort?: Sort | undefined;
  skip?: number | undefined;
  limit?: number | undefined;
  projection?: Projection | undefined;
}

/** Results in pages: filtered, sorted, skipped and limited. */
export type Pages = Iterable<Document[]>;
/** Runs the query: its pages, read lazily. */
export type FindRunner = (spec: FindSpec) => Promise<Pages>;
/** Projects one page of results. */
export type Finisher = (page: Document[], spec: FindSpec) => Document[];

abstract class LazyCursor<T> {
  #started = false;
  /** The query's node time: each page is read (and finished) as one timed stretch of it. */
  readonly #clock: OperationClock;

  constructor(ns: string) {
    this.#clock = new OperationClock(ns);
  }

  protected abstract load(): Promise<Pages>;
  protected abstract finish(page: Document[]): Document[];

  protected assertIdle(what: string): void {
    if (this.#started) {
      throw new DbError('DB_CURSOR_IN_USE', `Cannot call ${what}() after the cursor was read; build a new cursor.`);
    }
  }

  #start(): Promise<Pages> {
    this.assertIdle('toArray/iterate');
    this.#started = true;
    return this.load();
  }

  /** The next finished page, read as one stretch of the clock; undefined at the end. */
  #next(pages: Iterator<Document[]>): Document[] | undefined {
    return this.#clock.run(() => {
      const r = pages.next();
      return r.done === true ? undefined : this.finish(r.value);
    });
  }

  async toArray(): Promise<T[]> {
    const out: T[] = [];
    const slice = new TimeSlice();
    const pages = (await this.#start())[Symbol.iterator]();
    for (let page = this.#next(pages); page !== undefined; page = this.#next(pages)) {
      for (const doc of page) out.push(doc as T);
      await slice.pause();
    }
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    const slice = new TimeSlice();
    const pages = (await this.#start())[Symbol.iterator]();
    try {
      for (let page = this.#next(pages); page !== undefined; page = this.#next(pages)) {
        yield* page as T[];
        await slice.pause();
      }
    } finally {
      pages.return?.();
    }
  }
}

export class EmbeddedFindCursor<T> extends LazyCursor<T> implements FindCursor<T> {
  readonly #spec: FindSpec;
  readonly #run: FindRunner;
  readonly #finish: Finisher;

  constructor(ns: string, run: FindRunner, finish: Finisher, spec: FindSpec) {
    super(ns);
    this.#run = run;
    this.#finish = finish;
    this.#spec = { ...spec };
    if (spec.skip !== undefined) checkCount('skip', spec.skip);
    if (spec.limit !== undefined) checkCount('limit', spec.limit);
  }

  sort(sort: Sort): this {
    this.assertIdle('sort');
    this.#spec.sort = sort;
    return this;
  }

  skip(n: number): this {
    this.assertIdle('skip');
    this.#spec.skip = checkCount('skip', n);
    return this;
  }

  /** 0 means no limit, as in MongoDB. */
  limit(n: number): this {
    this.assertIdle('limit');
    this.#spec.limit = checkCount('limit', n);
    return this;
  }

  project<P extends Document = Document>(projection: Projection): FindCursor<P> {
    this.assertIdle('project');
    this.#spec.projection = projection;
    return this as unknown as FindCursor<P>;
  }

  protected load(): Promise<Pages> {
    return this.#run(this.#spec);
  }

  protected finish(page: Document[]): Document[] {
    return this.#finish(page, this.#spec);
  }
}

export class EmbeddedAggregateCursor<T> extends LazyCursor<T> implements AggregateCursor<T> {
  readonly #run: () => Promise<Pages>;

  constructor(ns: string, run: () => Promise<Pages>) {
    super(ns);
    this.#run = run;
  }

  protected load(): Promise<Pages> {
    return this.#run();
  }

  protected finish(page: Document[]): Document[] {
    return page;
  }
}
