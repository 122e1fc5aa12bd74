import type { Db, EventEnvelope, InsightsError } from '@insights/sdk';
import type { CallAuthority, EmitCause, NestedCallInvoker } from '@insights/runtime/internal';
import type { LogRelay } from './log-relay.ts';
import type { SqlCursors } from './sql-cursors.ts';

/** Whoever waits for an answer from the sandbox (a call, a file read). */
export interface SandboxSink {
  done(value: unknown): void;
  failed(error: InsightsError): void;
  progress?(fraction: number, message: string): void;
  /** Whether it waits for a call's answer: only those may come packed (packed.ts). */
  readonly isCall?: boolean | undefined;
  /** Whether the request's handler has a `ctx.mesh` (calls, event batches, jobs): only those may be named by nested calls. */
  readonly makesNestedCalls?: boolean | undefined;
  /** Whose authority nested calls naming this request carry (undefined: the module's own). */
  readonly authority?: CallAuthority | undefined;
  /** The request's audit id, the parent of the nested calls naming it. */
  readonly auditId?: string | undefined;
  /** The request's deadline (epoch ms): reads through the mesh naming it end by then. */
  readonly deadline?: number | undefined;
}

/** What the node lends a sandbox: the mesh, URL signing, events, the log. */
export interface SandboxServices {
  readonly mesh: NestedCallInvoker;
  fileUrl(name: string, ttlSeconds: number): string | Promise<string>;
  /** Keyed learner ids (`ctx.learnerId`), as the module the node loaded. */
  learnerId(learner: unknown): string | Promise<string>;
  emit?: ((event: EventEnvelope, cause: EmitCause) => Promise<void>) | undefined;
  property?: ((event: EventEnvelope, name: string) => Promise<unknown>) | undefined;
  /** The module's own database, opened by the node by the module's (checked) name. */
  db(moduleName: string): Promise<Db>;
  /** Another module's database, read-only, where the node allows this module (ctx.readDb); reads through the mesh end by `deadline`. */
  readDb(owner: string, deadline: number | undefined): Promise<Db>;
  /** The node's read replicas, bound to this module's name by the node. */
  readonly sql?: SqlCursors | undefined;
  readonly logs: LogRelay;
}

/** An event batch the sandbox is handling: what its emits may name as their cause. */
export interface Handling {
  readonly handler: string;
  readonly events: readonly EventEnvelope[];
  /** Made on the first emit of the batch. */
  ids?: ReadonlySet<string>;
}
