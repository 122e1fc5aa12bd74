import type { CallOptions } from '@insights/sdk';
import type { CallInvoker, QueryKind } from '@insights/sdk/internal';
import type { CallOutcome } from '@insights/wire';

/** A nested call's target as an authority sees it (the analytic is resolved on this node). */
export interface AuthorityTarget {
  /** `property`: an event property called from outside. */
  readonly kind: QueryKind | 'property';
  readonly module: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** The analytic's parameter names: locks apply only to parameters it has. */
  readonly parameters: readonly string[];
}

/**
 * Who a call runs for: a caller's verified capability, or a module's own authority. The node
 * makes these; the runtime only carries them from a call to the nested calls it causes. Module
 * code never sees one (in a sandbox it names its call by the id the host issued, see Sandbox).
 */
export interface CallAuthority {
  /** The arguments a nested call to a local analytic runs with (locks filled in), or PERMISSION_DENIED. */
  authorize(target: AuthorityTarget, args: Record<string, unknown>): Record<string, unknown>;
  /** What this node presents to other nodes on this authority's behalf (capability tokens, space-separated). */
  readonly capability?: string | undefined;
  /** Who, for logs and the audit: subject and capability id. */
  readonly label: string;
  /**
   * What the caller may see of a result of a call it made from outside (pseudonymised research
   * access); `learnerFields`: those the serving module declares.
   */
  present?(outcome: CallOutcome, analytic: string, learnerFields: readonly string[]): CallOutcome;
}

/** Who makes a nested call: the calling module, and the call it works for. */
export interface NestedCaller {
  readonly module: string;
  /** The authority of the call being worked for; undefined for work with no caller (event handlers, jobs). */
  readonly authority?: CallAuthority | undefined;
  /** Inside a sandbox: the id the host gave the request this nested call works for (the host looks its authority up). */
  readonly callId?: number | undefined;
  /** The audit id of the call being worked for (links a nested call's record to its parent's). */
  readonly parentId?: string | undefined;
}

/** A CallInvoker that is told who makes each call: the node's Dispatcher, a sandbox's channel to it. */
export interface NestedCallInvoker extends CallInvoker {
  invoke(
    kind: QueryKind,
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
    caller?: NestedCaller,
  ): Promise<unknown>;
}

/**
 * The node's rule for which authority a nested call runs with: the caller's, or the calling
 * module's own (work with no caller; or an operator-granted elevation, logged).
 */
export interface NestedCallGuard {
  /** `target` is the resolved `<module>.<name>` for local analytics, the name as called otherwise. */
  authorityFor(caller: NestedCaller | undefined, target: string): CallAuthority | undefined;
}

/** One call as the audit sees it: who, what, the arguments after locks, the outcome. Never the result. */
export interface CallRecord {
  /** This node's id for the call; nested calls name it as their `parentId`. */
  readonly id: string;
  readonly parentId: string | undefined;
  readonly kind: QueryKind | 'event-property';
  /** `<module>.<name>` when resolved here, else the name as called. */
  readonly analytic: string;
  readonly args: unknown;
  /** Who: the authority's label (capability subjects and ids); undefined for unchecked calls. */
  readonly who: string | undefined;
  /** `OK` or the error code. */
  readonly outcome: string;
  readonly resultBytes: number;
  readonly startedAt: number;
  readonly durationMs: number;
}

/** Where the Dispatcher reports calls (the node's audit trail): `begin` when one starts, `end` when it settles. */
export interface CallRecorder {
  /** `traceparent`: the caller's W3C trace context, whose trace id the call's record carries. */
  begin(id: string, parentId: string | undefined, traceparent?: string): void;
  end(record: CallRecord): void;
  /** The trace context a nested call of `id` carries to another node (its records join the same trace). */
  traceparentOf?(id: string): string | undefined;
  /** Why a call cannot be recorded now (the audit's backlog is full), or undefined: such a call is refused with it. */
  refusal?(): Error | undefined;
}
