/**
 * The reader's side of reads through the mesh (see module-data-protocol.ts): `ctx.readDb(owner)`
 * for an owner loaded on another node. The reader's own node first applies its rules (the
 * module's declaration and this node's modules[].reads, through the same ReadOnlyDb as local
 * reads); every operation then goes to a node hosting the owner, which applies its own.
 */
import type { Mesh } from '@insights/client';
import { DbError, encodeValue, reviveValue } from '@insights/db/internal';
import {
  InsightsError,
  type AggregateCursor,
  type Collection,
  type Db,
  type Document,
  type FindCursor,
  type FindOptions,
  type Projection,
  type Sort,
} from '@insights/sdk';
import { ReadOnlyDb } from '@insights/runtime';
import { MODULE_DATA_ROUTE, type ModuleDataRequest } from './module-data-protocol.ts';

/** Runs `fn` with the node's mesh client (following the registry), or undefined without NATS. */
export type WithMesh = <T>(deadline: number, fn: (mesh: Mesh) => Promise<T>) => Promise<T> | undefined;

export interface MeshReadOptions {
  /** The node's mesh client (nested-calls.ts withMesh). */
  readonly withMesh: WithMesh;
  readonly reader: string;
  readonly owner: string;
  /** What the reader may read here: its declaration as this node's config allows it. */
  readonly collections: ReadonlySet<string>;
  /** The reader's own capability on the mesh (its moduleCapabilities entry), else the node's. */
  readonly capability: string | undefined;
  /** Longest a read may take, ms (the node's default call timeout): what bounds reads of no call. */
  readonly timeoutMs: number;
  /**
   * The deadline of the call (or handler batch) the reads are made for, epoch ms, as the node
   * knows it (never as a sandbox states it): no read outlives it.
   */
  readonly deadline?: number | undefined;
}

/** Another node's module data, read-only, or NOT_FOUND when no node of the mesh hosts the owner. */
export async function readThroughMesh(o: MeshReadOptions): Promise<Db> {
  const notHere = `module "${o.owner}" is not loaded on this node`;
  const hostedSomewhere = o.withMesh(readDeadline(o), async (m) =>
    (await m.describe()).nodes.some((n) => n.modules.some((x) => x.name === o.owner && x.state !== 'failed')),
  );
  if (hostedSomewhere === undefined)
    throw new InsightsError('NOT_FOUND', `${notHere}, and this node has no mesh to reach other nodes (nats is not configured)`);
  if (!(await hostedSomewhere)) throw new InsightsError('NOT_FOUND', `${notHere} nor on any node of the mesh`);
  const onMesh = (m: Mesh) => (o.capability === undefined ? m : m.withCapability(o.capability));
  const send = async (method: string, collection: string | undefined, args: readonly unknown[]) => {
    const request: ModuleDataRequest = {
      owner: o.owner,
      reader: o.reader,
      collections: [...o.collections],
      method,
      ...(collection === undefined ? {} : { collection }),
      // Dates keep their type across the wire in the database's own wrappers.
      args: JSON.parse(encodeValue(jsonArgs(args))) as unknown[],
    };
    const deadline = readDeadline(o);
    const byCall = deadline === o.deadline;
    if (deadline <= Date.now()) throw pastDeadline(o, request, byCall);
    try {
      const answer = await o.withMesh(deadline, (m) =>
        onMesh(m).nodeRoute(o.owner, MODULE_DATA_ROUTE, request as unknown as Record<string, unknown>, { deadline }),
      );
      return reviveValue(answer);
    } catch (e) {
      throw (e as { code?: unknown }).code === 'DEADLINE_EXCEEDED' ? pastDeadline(o, request, byCall, e) : e;
    }
  };
  return new ReadOnlyDb(new MeshDb(o.owner, send), o.reader, o.owner, o.collections);
}

/** When a read must have its answer: the reading call's deadline, and never later than the node's default timeout from now. */
function readDeadline(o: MeshReadOptions): number {
  const byDefault = Date.now() + o.timeoutMs;
  return o.deadline === undefined ? byDefault : Math.min(o.deadline, byDefault);
}

/** DEADLINE_EXCEEDED naming the read and what bounded it (the calling analytic's deadline, or the node's default). */
function pastDeadline(o: MeshReadOptions, r: ModuleDataRequest, byCall: boolean, cause?: unknown): InsightsError {
  const bound = byCall ? 'the deadline of the call it was made for' : `${o.timeoutMs} ms (the node's defaultTimeoutMs)`;
  return new InsightsError(
    'DEADLINE_EXCEEDED',
    `reading module "${o.owner}"'s ${r.collection ?? 'collections'} (${r.method}) for module "${o.reader}" through the mesh did not finish within ${bound}`,
    cause === undefined ? {} : { cause },
  );
}

type Send = (method: string, collection: string | undefined, args: readonly unknown[]) => Promise<unknown>;

/** Trailing absent arguments dropped, others absent as `{}` (an empty filter or options): JSON has no undefined. */
function jsonArgs(args: readonly unknown[]): unknown[] {
  const out = [...args];
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  return out.map((a) => (a === undefined ? {} : a));
}

/** Sends every operation to the owner's node, which refuses what it does not allow (writes included). */
class MeshDb implements Db {
  constructor(
    readonly databaseName: string,
    private readonly send: Send,
  ) {}

  collection<T extends Document = Document>(name: string): Collection<T> {
    const send = this.send;
    return new Proxy({} as Collection<T>, {
      get(_t, prop) {
        if (prop === 'collectionName') return name;
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        if (prop === 'find')
          return (filter?: Document, options?: FindOptions) => new MeshCursor((o) => send('find', name, [filter, o]), options);
        if (prop === 'aggregate')
          return (pipeline: readonly Document[]) => new MeshCursor(() => send('aggregate', name, [pipeline]));
        return (...args: unknown[]) => send(prop, name, args);
      },
    });
  }

  listCollections(): Promise<string[]> {
    return this.send('listCollections', undefined, []) as Promise<string[]>;
  }

  dropCollection(name: string): Promise<boolean> {
    return this.send('dropCollection', name, []) as Promise<boolean>;
  }
}

/** A cursor read in one request when first read: the owner's node bounds it by size and deadline. */
class MeshCursor<T> implements FindCursor<T>, AggregateCursor<T> {
  #options: FindOptions;
  #read = false;

  constructor(
    private readonly fetch: (options: FindOptions) => Promise<unknown>,
    options: FindOptions = {},
  ) {
    this.#options = { ...options };
  }

  sort(sort: Sort): this {
    this.#options.sort = sort;
    return this;
  }

  skip(n: number): this {
    this.#options.skip = n;
    return this;
  }

  limit(n: number): this {
    this.#options.limit = n;
    return this;
  }

  project<P extends Document = Document>(projection: Projection): FindCursor<P> {
    this.#options.projection = projection;
    return this as unknown as FindCursor<P>;
  }

  async toArray(): Promise<T[]> {
    if (this.#read) throw new DbError('DB_CURSOR_IN_USE', 'This cursor was already read.');
    this.#read = true;
    return (await this.fetch(this.#options)) as T[];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.toArray();
  }
}
