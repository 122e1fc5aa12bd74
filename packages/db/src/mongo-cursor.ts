/** Driver cursors behind the SDK cursor interfaces, with errors mapped to DbError. */
import type { AggregateCursor, Document, FindCursor, Projection, Sort } from '@insights/sdk';
import type { AggregationCursor as DriverAggregationCursor, FindCursor as DriverFindCursor } from 'mongodb';
import { checkCount } from './cursor-options.ts';
import { mapMongoError, type MongoOp } from './mongo-errors.ts';

type DriverCursor = DriverFindCursor<Document> | DriverAggregationCursor<Document>;

abstract class MongoCursorBase<T> {
  protected readonly cursor: DriverCursor;
  protected readonly ns: string;
  readonly #op: MongoOp;

  constructor(cursor: DriverCursor, ns: string, op: MongoOp) {
    this.cursor = cursor;
    this.ns = ns;
    this.#op = op;
  }

  protected guard<R>(fn: () => R): R {
    try {
      return fn();
    } catch (err) {
      throw mapMongoError(err, this.#op, this.ns);
    }
  }

  async toArray(): Promise<T[]> {
    try {
      return (await this.cursor.toArray()) as T[];
    } catch (err) {
      throw mapMongoError(err, this.#op, this.ns);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    try {
      for await (const doc of this.cursor) yield doc as T;
    } catch (err) {
      throw mapMongoError(err, this.#op, this.ns);
    }
  }
}

export class MongoFindCursorAdapter<T> extends MongoCursorBase<T> implements FindCursor<T> {
  readonly #find: DriverFindCursor<Document>;

  constructor(cursor: DriverFindCursor<Document>, ns: string) {
    super(cursor, ns, 'read');
    this.#find = cursor;
  }

  sort(sort: Sort): this {
    this.guard(() => this.#find.sort(sort));
    return this;
  }

  skip(n: number): this {
    const count = checkCount('skip', n);
    this.guard(() => this.#find.skip(count));
    return this;
  }

  limit(n: number): this {
    const count = checkCount('limit', n);
    this.guard(() => this.#find.limit(count));
    return this;
  }

  project<P extends Document = Document>(projection: Projection): FindCursor<P> {
    this.guard(() => this.#find.project(projection));
    return this as unknown as FindCursor<P>;
  }
}

export class MongoAggregateCursorAdapter<T> extends MongoCursorBase<T> implements AggregateCursor<T> {
  constructor(cursor: DriverAggregationCursor<Document>, ns: string) {
    super(cursor, ns, 'aggregate');
  }
}
