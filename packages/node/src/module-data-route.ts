/**
 * The owner's side of reads through the mesh (see module-data-protocol.ts): a node serves a
 * module on another node the data of one of its own modules, read-only, when all of these hold:
 * the call comes from a certified mesh node (the Authorizer checked its delegation and names it
 * in `from`), THIS node's operator lists the reader in the owner's modules[].readBy, and the
 * reader's node sends the collections the reader declares. The reads run on the same ReadOnlyDb
 * as reads on one node (writes, other collections, $out/$merge and $lookup into others refused),
 * bounded by the owner's maxResultBytes and the call's deadline.
 */
import { encodeValue, reviveValue } from '@insights/db/internal';
import { InsightsError, type Db, type Document } from '@insights/sdk';
import { CallScope, ReadOnlyDb, type NodeRoute } from '@insights/runtime';
import { EncodedJson } from '@insights/wire';
import { checkModuleDataRequest, type ModuleDataRequest } from './module-data-protocol.ts';
import type { RemoteReadGrants } from './read-grants.ts';

export interface ModuleDataRouteDeps {
  /** Whether the module is loaded on this node. */
  readonly hosts: { has(module: string): boolean };
  readonly db: { forModule(module: string): Promise<Db> };
  readonly grants: RemoteReadGrants;
  /** The owner's limits.maxResultBytes: no answer is larger. */
  readonly maxResultBytes: (owner: string) => number;
}

/** What the Authorizer hands a node route: the verified calling node and the request as sent. */
interface RouteArgs {
  readonly from: string;
  readonly request: unknown;
}

export function moduleDataRoute(deps: ModuleDataRouteDeps): NodeRoute {
  return async (req) => {
    const { from, request } = req.args as RouteArgs;
    const r = checkModuleDataRequest(request);
    if (!deps.hosts.has(r.owner))
      throw new InsightsError('NOT_FOUND', `module "${r.owner}" is not loaded on this node`, { parameter: 'owner' });
    const granted = deps.grants.collections(from, r.reader, r.owner, r.collections);
    const db = new ReadOnlyDb(
      await deps.db.forModule(r.owner),
      r.reader,
      r.owner,
      granted,
      `modules[].readBy of "${r.owner}" on its node`,
    );
    const scope = new CallScope(req.deadline, req.signal);
    try {
      if (scope.reason !== undefined) throw scope.reason;
      const work = run(db, r, deps.maxResultBytes(r.owner), scope);
      // Past the deadline the caller has its answer; the read stops at its next document.
      work.catch(() => undefined);
      return new EncodedJson(await scope.race(work));
    } finally {
      scope.dispose();
    }
  };
}

/** Runs the operation and answers its result encoded (cursors read to the end, within `limit` bytes). */
async function run(db: Db, r: ModuleDataRequest, limit: number, scope: CallScope): Promise<string> {
  const args = reviveValue(r.args) as unknown[];
  if (r.method === 'listCollections') return encodeValue(await db.listCollections());
  if (r.collection === undefined) throw missingCollection(r.method);
  if (r.method === 'dropCollection') return encodeValue(await db.dropCollection(r.collection));
  const c = db.collection(r.collection) as unknown as Record<string, unknown>;
  const method = c[r.method];
  if (typeof method !== 'function')
    throw new InsightsError('INVALID_ARGUMENT', `module data request: no collection method "${r.method}"`, {
      parameter: 'method',
    });
  const result = (method as (...a: unknown[]) => unknown).apply(c, args);
  if (r.method === 'find' || r.method === 'aggregate') return readAll(result as AsyncIterable<Document>, r, limit, scope);
  const encoded = encodeValue(await result);
  if (encoded.length > limit) throw tooLarge(r, limit);
  return encoded;
}

/** A cursor's documents as one JSON array, refused as soon as it passes `limit` bytes or the call ends. */
async function readAll(cursor: AsyncIterable<Document>, r: ModuleDataRequest, limit: number, scope: CallScope): Promise<string> {
  const parts: string[] = [];
  let bytes = 2;
  for await (const doc of cursor) {
    if (scope.reason !== undefined) throw scope.reason;
    const part = encodeValue(doc);
    bytes += part.length + 1;
    if (bytes > limit) throw tooLarge(r, limit);
    parts.push(part);
  }
  return `[${parts.join(',')}]`;
}

function tooLarge(r: ModuleDataRequest, limit: number): InsightsError {
  return new InsightsError(
    'RESOURCE_EXHAUSTED',
    `reading module "${r.owner}"'s ${r.collection ?? 'collections'} for module "${r.reader}" returned more than ${limit} bytes (limits.maxResultBytes of "${r.owner}"); narrow it with a filter, a projection or a limit`,
  );
}

function missingCollection(method: string): InsightsError {
  return new InsightsError('INVALID_ARGUMENT', `module data request: ${method} needs a collection`, { parameter: 'collection' });
}
