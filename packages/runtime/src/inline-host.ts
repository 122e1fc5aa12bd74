import type { EventEnvelope, ModuleDefinition } from '@insights/sdk';
import type { NormaliseOutcome } from './events/normalise-result.ts';
import { isInsightsError } from '@insights/sdk';
import type { CallOutcome } from '@insights/wire';
import type { EventsControl, HostCall, HostCallControl, HostStatus, ModuleHost } from './host.ts';
import type { ModuleManifest } from './manifest.ts';
import { ModuleRuntime, type RuntimeEnvironment } from './module-runtime.ts';
import { ownCopies } from './events/stored-json.ts';

/** Runs a module in the node's own process: fastest, for trusted modules (and local mode). */
export class InlineHost implements ModuleHost {
  readonly isolation = 'inline' as const;
  readonly #runtime: ModuleRuntime;
  #inFlight = 0;
  #calls = 0;
  #errors = 0;
  #lastError = '';

  private constructor(runtime: ModuleRuntime) {
    this.#runtime = runtime;
  }

  static async start(def: ModuleDefinition, env: RuntimeEnvironment): Promise<InlineHost> {
    return new InlineHost(await ModuleRuntime.create(def, env));
  }

  get manifest(): ModuleManifest {
    return this.#runtime.manifest;
  }

  get runtime(): ModuleRuntime {
    return this.#runtime;
  }

  status(): HostStatus {
    return {
      state: 'ready',
      lastError: this.#lastError,
      restarts: 0,
      memoryBytes: 0,
      inFlight: this.#inFlight,
      calls: this.#calls,
      errors: this.#errors,
    };
  }

  call(call: HostCall, control: HostCallControl): Promise<CallOutcome> {
    this.#inFlight++;
    this.#calls++;
    return this.#runtime.call(call, control).then(
      (outcome) => {
        this.#inFlight--;
        return outcome;
      },
      (e: unknown) => {
        this.#inFlight--;
        this.#errors++;
        if (isInsightsError(e) && e.code === 'INTERNAL') this.#lastError = e.message;
        throw e;
      },
    );
  }

  handleEvents(handler: string, events: readonly EventEnvelope[], control: EventsControl): Promise<number> {
    // Events read from the stream are shared by the node's handlers: this one gets its own copy.
    return this.#runtime.handleEvents(handler, ownCopies(events), control.deadline, control.signal, undefined, control.delivery);
  }

  runJob(job: string, control: { deadline: number; signal: AbortSignal }): Promise<void> {
    return this.#runtime.runJob(job, control.deadline, control.signal);
  }

  async normalise(raws: readonly unknown[]): Promise<NormaliseOutcome[]> {
    return this.#runtime.normalise(raws);
  }

  async computeProperty(name: string, event: EventEnvelope): Promise<unknown> {
    return this.#runtime.computeProperty(name, event);
  }

  readFile(name: string): Promise<Uint8Array> {
    return this.#runtime.files.read(name);
  }

  sweepFiles(): Promise<string[]> {
    return this.#runtime.files.sweep();
  }

  async close(): Promise<void> {
    // Resources (db) belong to the provider, which the node closes once for all modules.
  }
}
