import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { Db } from '@insights/sdk';

/** Memoized results of one module, one document each. */
export const MEMO_COLLECTION = '_insights_memo';
/** Expired documents are removed on every this-many writes (readers ignore them meanwhile). */
const PRUNE_EVERY_WRITES = 100;

interface MemoDoc {
  /** sha256 of the memo key: keys hold canonical arguments of any length. */
  _id: string;
  /** The memoized analytic's cache name, for invalidate(name). */
  name: string;
  /** v8-serialised value, base64: view results carry bytes, and documents must be JSON on every channel. */
  value: string;
  expiresAt: number;
}

/**
 * Where memoized results live when every replica should see them: the module's own database,
 * shared by replicas on MongoDB. One cron run's refresh then serves every replica.
 */
export interface MemoStore {
  get(key: string): Promise<{ value: unknown } | undefined>;
  set(key: string, name: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Forgets one key, or every key of `name`. */
  invalidate(name: string, key?: string): Promise<void>;
}

/** MemoStore over the module's `Db` (inside a sandbox, the node's broker on the module's own database). */
export class DbMemoStore implements MemoStore {
  readonly #db: Db;
  #writes = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(key: string): Promise<{ value: unknown } | undefined> {
    const doc = await this.#memos().findOne({ _id: idOf(key) });
    if (doc === null || doc.expiresAt <= Date.now()) return undefined;
    return { value: deserialize(Buffer.from(doc.value, 'base64')) };
  }

  async set(key: string, name: string, value: unknown, ttlSeconds: number): Promise<void> {
    const doc = { name, value: serialize(value).toString('base64'), expiresAt: Date.now() + ttlSeconds * 1000 };
    await this.#memos().replaceOne({ _id: idOf(key) }, doc, { upsert: true });
    if (++this.#writes % PRUNE_EVERY_WRITES === 0) await this.#memos().deleteMany({ expiresAt: { $lte: Date.now() } });
  }

  async invalidate(name: string, key?: string): Promise<void> {
    await this.#memos().deleteMany(key === undefined ? { name } : { _id: idOf(key) });
  }

  #memos() {
    return this.#db.collection<MemoDoc>(MEMO_COLLECTION);
  }
}

function idOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
