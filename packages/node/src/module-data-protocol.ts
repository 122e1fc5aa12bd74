/**
 * Reads of a module's data by a module on another node (`ctx.readDb(owner)` where the owner is
 * not loaded here): the reading node calls this node-internal route on a node that hosts the
 * owner, over the ordinary gRPC call path (TLS, mutual auth, message and deadline limits apply).
 * The owner's node decides what it serves (module-data-route.ts); mesh-read-db.ts is the reader's side.
 */
import { InsightsError } from '@insights/sdk';

/** The route's name: it starts with `$`, which no analytic name can. */
export const MODULE_DATA_ROUTE = '$module-data.read';

/** Most collections a reader may name in one request (its declaration is far smaller in practice). */
export const MAX_REQUEST_COLLECTIONS = 256;

/**
 * One database operation, as JSON: Dates and non-finite numbers in `args` travel in the
 * database's `$date` / `$numberDouble` wrappers (encodeValue of @insights/db).
 */
export interface ModuleDataRequest {
  /** The module whose data is read. */
  readonly owner: string;
  /** The module that reads, on the calling node. */
  readonly reader: string;
  /** The owner's collections the reader declares it reads and its own node's config allows. */
  readonly collections: readonly string[];
  /** `listCollections`, `dropCollection`, or a Collection method (`find`, `aggregate`, `countDocuments`, ...). */
  readonly method: string;
  /** The collection a Collection method runs on (absent for listCollections). */
  readonly collection?: string | undefined;
  readonly args: readonly unknown[];
}

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const METHOD = /^[a-zA-Z]{1,40}$/;

function bad(parameter: string, why: string): InsightsError {
  return new InsightsError('INVALID_ARGUMENT', `module data request: ${parameter} ${why}`, { parameter });
}

/** The request, if `value` has exactly its shape; INVALID_ARGUMENT naming the first wrong field otherwise. */
export function checkModuleDataRequest(value: unknown): ModuleDataRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('request', 'must be an object');
  const r = value as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!['owner', 'reader', 'collections', 'method', 'collection', 'args'].includes(k)) throw bad(k, 'is not a field');
  for (const k of ['owner', 'reader'] as const)
    if (typeof r[k] !== 'string' || !NAME.test(r[k])) throw bad(k, 'must be a module name');
  const collections = r.collections;
  if (
    !Array.isArray(collections) ||
    collections.length > MAX_REQUEST_COLLECTIONS ||
    !collections.every((c) => typeof c === 'string' && c.length > 0 && c.length <= 120)
  )
    throw bad('collections', `must be at most ${MAX_REQUEST_COLLECTIONS} collection names`);
  if (typeof r.method !== 'string' || !METHOD.test(r.method)) throw bad('method', 'must be a method name');
  if (r.collection !== undefined && (typeof r.collection !== 'string' || r.collection.length === 0 || r.collection.length > 120))
    throw bad('collection', 'must be a collection name');
  if (!Array.isArray(r.args) || r.args.length > 3) throw bad('args', 'must be an array of at most 3 values');
  return r as unknown as ModuleDataRequest;
}
