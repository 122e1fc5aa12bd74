import { InsightsError, isInsightsError, type EventEnvelope } from '@insights/sdk';
import type { CallOutcome } from '@insights/wire';
import type {
  EventsControl,
  NormaliseOutcome,
  HostCall,
  HostCallControl,
  HostStatus,
  ModuleHost,
  ModuleManifest,
} from '@insights/runtime/internal';
import { CallGate } from './call-gate.ts';
import type { ResolvedLimits } from './limits.ts';
import { exceedsSize } from './result-size.ts';
import { encodedJsonOf } from '@insights/wire';

/** A shared (memoized) result is measured by its cached encoding, which the node sends anyway. */
function resultTooLarge(outcome: CallOutcome, limit: number): boolean {
  if (outcome.type !== 'json') return exceedsSize(outcome, limit);
  return outcome.shared === true ? encodedJsonOf(outcome.value, true).length > limit : exceedsSize(outcome.value, limit);
}

/** A call waiting for a slot of an inline module; `grant` hands it one. */
class Waiter {
  settled = false;
  grant: () => void = () => undefined;
}

/**
 * Applies a module's call limits to a host that has none of its own (inline): at most
 * `maxConcurrentCalls` at once, a bounded queue, and the result size limit.
 */
export class GatedHost implements ModuleHost {
  readonly isolation;
  readonly #inner: ModuleHost;
  readonly #limits: ResolvedLimits;
  readonly #gate: CallGate<Waiter>;

  constructor(inner: ModuleHost, limits: ResolvedLimits) {
    this.isolation = inner.isolation;
    this.#inner = inner;
    this.#limits = limits;
    this.#gate = new CallGate(limits.maxConcurrentCalls, limits.maxQueuedCalls);
  }

  get manifest(): ModuleManifest {
    return this.#inner.manifest;
  }

  status(): HostStatus {
    return { ...this.#inner.status(), inFlight: this.#gate.running + this.#gate.waiting };
  }

  call(call: HostCall, control: HostCallControl): Promise<CallOutcome> {
    // A free slot (the usual case) costs no waiter, no timer and no extra promise.
    if (this.#gate.admitNow()) return this.#run(call, control);
    return this.#slot(call, control).then(() => this.#run(call, control));
  }

  #run(call: HostCall, control: HostCallControl): Promise<CallOutcome> {
    let work: Promise<CallOutcome>;
    try {
      work = this.#inner.call(call, control);
    } catch (e) {
      work = Promise.reject(e as Error);
    }
    return work.then(
      (outcome) => {
        this.#leave();
        if (resultTooLarge(outcome, this.#limits.maxResultBytes)) {
          const analytic = `${this.manifest.name}.${call.name}`;
          throw new InsightsError(
            'RESOURCE_EXHAUSTED',
            `${analytic} returned a result larger than its limit of ${this.#limits.maxResultBytes} bytes (maxResultBytes)`,
            { analytic },
          );
        }
        return outcome;
      },
      (e: unknown) => {
        this.#leave();
        throw e;
      },
    );
  }

  #leave(): void {
    this.#gate.release();
    this.#gate.next()?.grant();
  }

  // Event handlers, jobs and the data layer are paced by the node's event consumers and
  // scheduler, not by callers: they pass straight through.
  handleEvents(handler: string, events: readonly EventEnvelope[], control: EventsControl): Promise<number> {
    return this.#inner.handleEvents(handler, events, control);
  }

  runJob(job: string, control: { deadline: number; signal: AbortSignal }): Promise<void> {
    return this.#inner.runJob(job, control);
  }

  normalise(raws: readonly unknown[]): Promise<NormaliseOutcome[]> {
    return this.#inner.normalise(raws);
  }

  computeProperty(name: string, event: EventEnvelope): Promise<unknown> {
    return this.#inner.computeProperty(name, event);
  }

  readFile(name: string): Promise<Uint8Array> {
    return this.#inner.readFile(name);
  }

  sweepFiles(): Promise<string[]> {
    return this.#inner.sweepFiles();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** Resolves once the call holds a slot; rejects when the queue is full, or at the deadline or cancellation. */
  #slot(call: HostCall, control: HostCallControl): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = new Waiter();
      const admitted = this.#gate.admit(w, true);
      if (admitted === 'run') return resolve();
      if (admitted === 'full') {
        const { maxConcurrentCalls: r, maxQueuedCalls: q } = this.#limits;
        return reject(
          new InsightsError(
            'RESOURCE_EXHAUSTED',
            `module ${this.manifest.name} is busy: ${r} calls running and ${q} waiting (maxConcurrentCalls, maxQueuedCalls)`,
          ),
        );
      }
      const done = () => {
        w.settled = true;
        clearTimeout(timer);
        control.signal.removeEventListener('abort', onAbort);
      };
      const leave = (e: InsightsError) => {
        if (w.settled) return;
        done();
        this.#gate.leftQueue();
        reject(e);
      };
      const onAbort = () =>
        leave(
          isInsightsError(control.signal.reason)
            ? control.signal.reason
            : new InsightsError('CANCELLED', 'call cancelled by the caller'),
        );
      const timer = setTimeout(
        () => leave(new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded')),
        call.deadline - Date.now(),
      );
      control.signal.addEventListener('abort', onAbort, { once: true });
      w.grant = () => {
        done();
        resolve();
      };
    });
  }
}
