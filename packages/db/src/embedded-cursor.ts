/**
 * Cursors of the embedded engine. A cursor runs its query at the first read (like a MongoDB
 * cursor's first batch), holding references to the stored documents; copies are made per batch
 * as they are handed out, so iterating a large result does not copy it all at once.
 */
import type { AggregateCursor, Document, FindCursor, Projection, Sort } from '@insights/sdk';
import { checkCount } from './cursor-options.ts';
import { DbError } from './errors.ts';

/** Documents copied and handed out per step of an async iteration. */
const BATCH_SIZE = 256;

export interface FindSpec {
  sort?: Sort | undefined;
  skip?: number | undefined;
  limit?: number | undefined;
  projection?: Projection | undefined;
}

/** Runs the query: stored references, filtered, sorted, skipped and limited. */
export type FindRunner = (spec: FindSpec) => Promise<readonly Document[]>;
/** Copies (and projects) a slice of the results. */
export type Finisher = (refs: readonly Document[], spec: FindSpec) => Document[];

abstract class LazyCursor<T> {
  #started = false;

  protected abstract load(): Promise<readonly Document[]>;
  protected abstract finish(refs: readonly Document[]): Document[];

  protected assertIdle(what: string): void {
    if (this.#started) {
      throw new DbError('DB_CURSOR_IN_USE', `Cannot call ${what}() after the cursor was read; build a new cursor.`);
    }
  }

  #start(): Promise<readonly Document[]> {
    this.assertIdle('toArray/iterate');
    this.#started = true;
    return this.load();
  }

  async toArray(): Promise<T[]> {
    return this.finish(await this.#start()) as T[];
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    const refs = await this.#start();
    for (let i = 0; i < refs.length; i += BATCH_SIZE) {
      yield* this.finish(refs.slice(i, i + BATCH_SIZE)) as T[];
    }
  }
}

export class EmbeddedFindCursor<T> extends LazyCursor<T> implements FindCursor<T> {
  readonly #spec: FindSpec;
  readonly #run: FindRunner;
  readonly #finish: Finisher;

  constructor(run: FindRunner, finish: Finisher, spec: FindSpec) {
    super();
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

  protected load(): Promise<readonly Document[]> {
    return this.#run(this.#spec);
  }

  protected finish(refs: readonly Document[]): Document[] {
    return this.#finish(refs, this.#spec);
  }
}

export class EmbeddedAggregateCursor<T> extends LazyCursor<T> implements AggregateCursor<T> {
  readonly #run: () => Promise<readonly Document[]>;
  readonly #copy: (refs: readonly Document[]) => Document[];

  constructor(run: () => Promise<readonly Document[]>, copy: (refs: readonly Document[]) => Document[]) {
    super();
    this.#run = run;
    this.#copy = copy;
  }

  protected load(): Promise<readonly Document[]> {
    return this.#run();
  }

  protected finish(refs: readonly Document[]): Document[] {
    return this.#copy(refs);
  }
}
