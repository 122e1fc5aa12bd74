import type { EventEnvelope } from '@insights/sdk';
import type { CancelSignal } from '@insights/sdk/internal';
import type { CallOutcome } from '@insights/wire';
import type { CallAuthority } from './call-authority.ts';
import type { NormaliseOutcome } from './events/normalise-result.ts';
import type { StreamDelivery } from './events/once.ts';
import type { ModuleManifest } from './manifest.ts';
import type { SandboxReport } from './sandbox-report.ts';

export type ModuleState = 'loading' | 'ready' | 'degraded' | 'failed';
export type Isolation = 'process' | 'worker' | 'inline';

/** A call as the node hands it to a host: the analytic is already resolved to its own name. */
export interface HostCall {
  readonly kind: 'query' | 'view';
  readonly name: string;
  readonly args: unknown;
  /**
   * The arguments' JSON exactly as the caller sent it, when `args` is what it parses to (nothing
   * rewrote them): a process sandbox forwards these bytes instead of encoding `args` again.
   */
  readonly argsJson?: Uint8Array | undefined;
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;
}

export interface HostCallControl {
  /** The caller's cancellation: an AbortSignal, or the cheaper CallCancel streamed calls use. */
  readonly signal: CancelSignal;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
  /** Who the call runs for: the module's nested calls are checked against it. */
  readonly authority?: CallAuthority | undefined;
  /** Inside a sandbox: the host's id of this call, which the module's nested calls name. */
  readonly callId?: number | undefined;
  /** The audit id of this call: its nested calls' records name it as their parent. */
  readonly auditId?: string | undefined;
  /**
   * Whose results a memoized analytic may share (inside a sandbox, where the authority itself
   * never goes): callers of different authority never share one, since the analytic's nested
   * calls ran under the first caller's. Defaults to the authority's label.
   */
  readonly memoScope?: string | undefined;
}

export interface HostStatus {
  readonly state: ModuleState;
  readonly lastError: string;
  readonly restarts: number;
  readonly memoryBytes: number;
  readonly inFlight: number;
  readonly calls: number;
  readonly errors: number;
  /** What isolates the module (unset: it runs in the node's process, trusted). */
  readonly sandbox?: SandboxReport | undefined;
}

/** How a batch of events is handed to a handler. */
export interface EventsControl {
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** Set when the events were read from a JetStream consumer: what `updateOnce` remembers them by. */
  readonly delivery?: StreamDelivery | undefined;
}

/**
 * The boundary between the node and one module. The node only ever talks to a module through
 * this interface, so where the module runs (this process, a worker, a child process) is the
 * operator's choice and module code is identical in all three.
 */
export interface ModuleHost {
  readonly isolation: Isolation;
  readonly manifest: ModuleManifest;
  status(): HostStatus;
  call(call: HostCall, control: HostCallControl): Promise<CallOutcome>;
  /** Delivers events to one of the module's handlers; resolves with how many matched its filter. */
  handleEvents(handler: string, events: readonly EventEnvelope[], control: EventsControl): Promise<number>;
  /** Runs one of the module's scheduled jobs once (the node decides when, and that it runs once per tick mesh-wide). */
  runJob(job: string, control: { deadline: number; signal: AbortSignal }): Promise<void>;
  /** Runs the module's data layer (normalisers) on raw events. */
  normalise(raws: readonly unknown[]): Promise<NormaliseOutcome[]>;
  /** Computes one of the module's event properties. */
  computeProperty(name: string, event: EventEnvelope): Promise<unknown>;
  /** Reads one of the module's files (expired ones are NOT_FOUND), for signed file URLs. */
  readFile(name: string): Promise<Uint8Array>;
  /** Deletes expired files; the node calls this on a timer. */
  sweepFiles(): Promise<string[]>;
  close(): Promise<void>;
}
