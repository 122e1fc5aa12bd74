/**
 * What one module query may cost the node, in one place. The embedded engine runs every module's
 * queries on the node's own thread, and module code is hostile: a query must not be able to
 * allocate the node's memory away or hold its event loop. The bounds follow MongoDB's (a value
 * lives in a document: 16 MiB; a blocking stage: 100 MB) and sit far above what an honest
 * analytic builds per document.
 */

const MIB = 1024 * 1024;

/**
 * The largest value one expression operator may build, in estimated bytes (a string's length, 8
 * per array element, 16 per object field): MongoDB's document limit, as a value must fit in one.
 */
export const MAX_VALUE_BYTES = 16 * MIB;

/**
 * What one top-level expression (a `$project` field, a `$group` key, an `$expr`...) may build in
 * all, in the same estimated bytes, counted over every operator it evaluates for one document:
 * repetition (`$map` over `$range`, `$reduce` doubling a string) meets this bound while each
 * value is still small.
 */
export const MAX_EXPRESSION_BYTES = 64 * MIB;

/**
 * The most joined documents one output document of `$lookup`/`$graphLookup` may hold, in bytes
 * of their JSON (the document limit again).
 */
export const MAX_JOINED_BYTES = 16 * MIB;

/**
 * The most one chunk of an equality `$lookup` (LOOKUP_CHUNK_DOCS input documents) may join in
 * all, in bytes of JSON: a foreign document joined to several inputs is copied for each, so a
 * cartesian join is bounded here, not by the foreign collection's size.
 */
export const MAX_CHUNK_JOINED_BYTES = 64 * MIB;

/**
 * The most time of the node's own thread one operation may take, ms (time spent waiting for the
 * event loop or for the reader of a cursor does not count). Past it the operation fails with
 * DB_TIMEOUT. A scan of millions of documents takes seconds.
 */
export const MAX_RUN_MS = 30_000;

/**
 * The share of V8's heap limit past which the running operation is stopped (DB_NODE_MEMORY),
 * looked at when its clock reads the time. The last line, for what the bounds above do not
 * measure: stages that hold their whole input (`$group`, `$sort` as mingo runs them), fed by
 * `$unwind` of generated arrays or by a large collection. Better one operation failed than the
 * node killed by V8 with every module.
 */
export const MAX_HEAP_FRACTION = 0.75;
