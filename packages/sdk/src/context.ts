import type { Db, Document, Filter, UpdateFilter } from './db.ts';
import type { EventEnvelope } from './event.ts';
import type { UntypedMesh } from './mesh-proxy.ts';
import type { ModuleCache, ModuleFiles, ModuleLog } from './resources.ts';
import type { SqlClient } from './sql.ts';

/**
 * What every handler receives besides its arguments. Resources come through here, never by
 * parameter name, so a caller can never pass its own `db` or `fs`.
 */
export interface Context {
  /** This module's own database (MongoDB API subset). */
  readonly db: Db;
  /** This module's own files. */
  readonly fs: ModuleFiles;
  /** This module's own cache. */
  readonly cache: ModuleCache;
  /** Every analytic of the mesh; nested calls inherit this call's remaining deadline. */
  readonly mesh: UntypedMesh;
  readonly log: ModuleLog;
  /**
   * A read-replica database the operator granted this module in the node's config (e.g. the
   * LMS's MySQL). Statements run in the node, read-only, within this call's deadline.
   */
  sql(source: string): SqlClient;
  /**
   * Another module's database on this node, read-only (find, aggregate, count...; writes fail
   * with PERMISSION_DENIED), limited to the collections the module declares in
   * `defineModule({ reads: { '<module>': [...] } })` and the node's config allows
   * (`modules[].reads: ["<module>"]`). An owner on another node is read through the mesh, within
   * this call's deadline: the Db belongs to this call.
   */
  readDb(module: string): Promise<Db>;
  /**
   * A stable, keyed identifier for a learner id (say, an LMS user id exported to another
   * system): HMAC-SHA256 with the deployment's learner-id key, 32 hex characters. The node
   * computes it, so module code never holds the key and nobody without it can reverse the value
   * by trying every id. Fails FAILED_PRECONDITION where the node has no key (`learnerIds.key`).
   */
  learnerId(id: string): Promise<string>;
  /** Aborts at the deadline or when the caller cancels. */
  readonly signal: AbortSignal;
  /** Absolute deadline, epoch milliseconds. */
  readonly deadline: number;
  /** Reports progress of a slow view: fraction in [0, 1]. */
  progress(fraction: number, message?: string): void;
  /**
   * Recomputes one of this module's memoized queries or views now and stores the result, so
   * callers read it at once (the cron + memoize pattern). Returns the fresh result.
   */
  refresh(name: string, args?: Record<string, unknown>): Promise<unknown>;
  /** The module's name, as configured on the node. */
  readonly module: string;
}

/** Context of an event handler: adds emitting derived events. */
export interface EventContext extends Context {
  /**
   * Publishes a derived event that other handlers can subscribe to (hop-limited). The module
   * decides the type (dot-separated tokens of letters, digits, `_`, `-`; at most 200 characters),
   * the payload (JSON, at most 256 KiB) and the actor, course and resource; the node sets the
   * source (the module's name), the id (derived from this handler and the events it is handling,
   * so re-processing dedupes) and the hop count. Only while handling events.
   */
  emit(event: { type: string; payload: unknown; actor?: string; course?: string; resource?: string }): Promise<void>;
  /** Computes a registered event property (e.g. `tincan.actor`) for an event, from whichever module serves it for the event's source. */
  property(event: EventEnvelope, name: string): Promise<unknown>;
  /**
   * Applies a db update at most once per event: the update and the record that this
   * event was applied are one write. For events read from JetStream the document remembers the
   * handler's events its consumer may still deliver again (those above the ack floor), so a
   * redelivery is recognised however many events came between, also when a killed replica's
   * events go to another replica; without a stream (local mode, partitioned handlers) it
   * remembers its last 500 event ids. The document's fields `_seen` and `_applied` are this memory.
   */
  updateOnce(
    collection: string,
    event: EventEnvelope,
    filter: Filter<Document>,
    update: UpdateFilter<Document>,
    options?: { upsert?: boolean },
  ): Promise<boolean>;
  /** Runs `fn` once per event for this handler (recorded after `fn` succeeds). */
  once(event: EventEnvelope, fn: () => Promise<void> | void): Promise<boolean>;
}
