import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { CallHistogram } from './call-histogram.ts';
import type { ModuleHost } from '@insights/runtime';
import type { ProcessFaultCounts } from './process-faults.ts';

/** What the node exposes to scrapes; everything but call latency is read at scrape time, off the call path. */
export interface MetricSources {
  readonly nodeId: string;
  readonly hosts: ReadonlyMap<string, ModuleHost>;
  /** `<module>.<name>` of a callable analytic, or undefined when nothing on this node serves the name. */
  resolve(kind: 'query' | 'view', name: string): string | undefined;
  inFlight(): number;
  handlerStats(): readonly {
    handler: string;
    processed: number;
    deadLettered: number;
    rejected?: number;
    redelivered?: number;
    duplicatesSkipped?: number;
    pastOnceMemory?: number;
  }[];
  /** Durable consumers as JetStream sees them (pending = the handler's lag), or [] without NATS. */
  consumers(): Promise<readonly { handler: string; pending: number; ackPending: number; redelivered: number }[]>;
  natsConnected(): boolean | undefined;
  advertised(): boolean;
  /** Nodes this node's mesh client sees in the registry (undefined without NATS). */
  meshNodes(): number | undefined;
  ready(): boolean;
  /** The process's fault policy, when the process entry installed one (`insights node`). */
  readonly processFaults?: ProcessFaultCounts;
}

/** Latency buckets, seconds: sub-millisecond in-process calls up to the slow views. */
const CALL_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Names that resolve to nothing share one label, so a caller cannot grow the series without bound. */
const UNKNOWN = '(unknown)';
const MAX_CACHED_NAMES = 4096;

/**
 * The node's Prometheus metrics, on a registry of its own (several nodes may share a process in
 * tests). The call path pays one histogram observation: label children and name resolution are
 * cached, so a call allocates nothing here.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly #calls: CallHistogram;
  readonly #names = { query: new Map<string, string>(), view: new Map<string, string>() };
  readonly #sources: MetricSources;
  readonly #refused: Counter<'entry' | 'limit'>;
  readonly #registryRefused: Counter<'reason'>;

  constructor(sources: MetricSources) {
    this.#sources = sources;
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: sources.nodeId });
    collectDefaultMetrics({ register: this.registry, prefix: 'insights_process_' });
    this.#calls = new CallHistogram(
      'insights_call_duration_seconds',
      'Calls served by this node, by analytic (<module>.<name>) and outcome code (OK or the error code)',
      CALL_BUCKETS_S,
      this.registry,
    );
    new Gauge({
      name: 'insights_calls_in_flight',
      help: 'Calls running on this node now',
      registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    this.#refused = new Counter({
      name: 'insights_input_refused_total',
      help: 'Requests, frames and connections refused at the door for a configured limit (limits.*), by entry point and limit',
      labelNames: ['entry', 'limit'],
      registers,
    });
    this.#registryRefused = new Counter({
      name: 'insights_registry_entries_refused_total',
      help: 'Registry entries this node refused to believe, by reason: key, limits (size, depth), json, schema, signature (unsigned or forged)',
      labelNames: ['reason'],
      registers,
    });
    new Counter({
      name: 'insights_process_faults_total',
      help: 'Unhandled rejections and uncaught exceptions the node process logged and survived, by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, n] of sources.processFaults?.counts() ?? []) this.labels(kind).inc(n);
      },
    });
    this.#moduleMetrics(registers);
    this.#eventMetrics(registers);
    new Gauge({
      name: 'insights_nats_connected',
      help: '1 while the node is connected to NATS (absent without NATS)',
      registers,
      collect() {
        this.reset();
        const c = sources.natsConnected();
        if (c !== undefined) this.set(c ? 1 : 0);
      },
    });
    new Gauge({
      name: 'insights_registry_advertised',
      help: "1 while this node's entry is in the registry",
      registers,
      collect() {
        this.set(sources.advertised() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'insights_registry_nodes',
      help: 'Nodes of the mesh this node sees in the registry, itself included',
      registers,
      collect() {
        this.reset();
        const n = sources.meshNodes();
        if (n !== undefined) this.set(n);
      },
    });
    new Gauge({
      name: 'insights_node_ready',
      help: '1 when /readyz answers ready',
      registers,
      collect() {
        this.set(sources.ready() ? 1 : 0);
      },
    });
  }

  /** Hot path: one observation per call. `startedAt` is from performance.now(). */
  observeCall(kind: 'query' | 'view', name: string, startedAt: number, code: string): void {
    this.#calls.record(this.#label(kind, name), code, (performance.now() - startedAt) / 1000);
  }

  /** Counts one refusal at an entry point (`grpc-connection`, `call`, ...) for a limit (`maxJsonDepth`, ...): a fixed, small label set. */
  refused(entry: string, limit: string): void {
    this.#refused.labels(entry, limit).inc();
  }

  /** Counts one registry entry refused (`reason`: a RegistryRefusal label). */
  registryRefused(reason: string): void {
    this.#registryRefused.labels(reason).inc();
  }

  /** The text a scrape gets. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #label(kind: 'query' | 'view', name: string): string {
    const cache = this.#names[kind];
    const hit = cache.get(name);
    if (hit !== undefined) return hit;
    const resolved = this.#sources.resolve(kind, name);
    if (resolved === undefined) return UNKNOWN;
    if (cache.size < MAX_CACHED_NAMES) cache.set(name, resolved);
    return resolved;
  }

  #moduleMetrics(registers: Registry[]): void {
    const hosts = this.#sources.hosts;
    const each = (read: (s: ReturnType<ModuleHost['status']>) => number) =>
      function (this: Gauge<'module'>) {
        this.reset();
        for (const [module, host] of hosts) this.labels(module).set(read(host.status()));
      };
    new Gauge({
      name: 'insights_module_restarts',
      help: 'Times the module sandbox was restarted after a crash',
      labelNames: ['module'],
      registers,
      collect: each((s) => s.restarts),
    });
    new Gauge({
      name: 'insights_module_memory_bytes',
      help: 'Resident memory of the module sandbox (0 for inline modules)',
      labelNames: ['module'],
      registers,
      collect: each((s) => s.memoryBytes),
    });
    new Gauge({
      name: 'insights_module_in_flight',
      help: 'Calls running in the module now',
      labelNames: ['module'],
      registers,
      collect: each((s) => s.inFlight),
    });
    new Gauge({
      name: 'insights_module_up',
      help: '1 when the module is ready, 0 when loading, degraded or failed',
      labelNames: ['module'],
      registers,
      collect: each((s) => (s.state === 'ready' ? 1 : 0)),
    });
  }

  #eventMetrics(registers: Registry[]): void {
    const sources = this.#sources;
    const fromStats = (read: (s: ReturnType<MetricSources['handlerStats']>[number]) => number) =>
      function (this: Counter<'handler'>) {
        this.reset();
        for (const s of sources.handlerStats()) this.labels(s.handler).inc(read(s));
      };
    new Counter({
      name: 'insights_events_processed_total',
      help: 'Events handlers of this node processed',
      labelNames: ['handler'],
      registers,
      collect: fromStats((s) => s.processed),
    });
    new Counter({
      name: 'insights_events_dead_lettered_total',
      help: 'Events moved to the dead-letter subject after their last attempt',
      labelNames: ['handler'],
      registers,
      collect: fromStats((s) => s.deadLettered),
    });
    new Counter({
      name: 'insights_events_rejected_total',
      help: 'Messages on the event stream that were no valid event (too large or deep, not JSON, not an envelope), dead-lettered unhandled',
      labelNames: ['handler'],
      registers,
      collect: fromStats((s) => s.rejected ?? 0),
    });
    new Counter({
      name: 'insights_events_redelivered_total',
      help: 'Events this node received again (a retry or another replica gave up on them)',
      labelNames: ['handler'],
      registers,
      collect: fromStats((s) => s.redelivered ?? 0),
    });
    new Counter({
      name: 'insights_events_duplicates_skipped_total',
      help: 'Redeliveries of events this node had already handled (their ack was lost), acknowledged without handling them again',
      labelNames: ['handler'],
      registers,
      collect: fromStats((s) => s.duplicatesSkipped ?? 0),
    });
    new Counter({
      name: 'insights_events_past_once_memory_total',
      help: "Events handled while the consumer's ack floor trailed by more than updateOnce remembers (a reader gone with events unacknowledged): a redelivery may apply twice",
      labelNames: ['handler'],
      registers,
      collect: fromStats((s) => s.pastOnceMemory ?? 0),
    });
    // One JetStream request per handler per scrape, shared by the three gauges.
    let consumers: Promise<Awaited<ReturnType<MetricSources['consumers']>>> | undefined;
    let at = 0;
    const read = () => {
      if (consumers === undefined || Date.now() - at > 500) {
        at = Date.now();
        consumers = sources.consumers().catch(() => []);
      }
      return consumers;
    };
    const gauge = (name: string, help: string, pick: (c: Awaited<ReturnType<MetricSources['consumers']>>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['handler'],
        registers,
        async collect() {
          this.reset();
          for (const c of await read()) this.labels(c.handler).set(pick(c));
        },
      });
    gauge(
      'insights_event_consumer_lag',
      'Events in the stream this handler has not been given yet (num_pending)',
      (c) => c.pending,
    );
    gauge('insights_event_consumer_ack_pending', 'Events given to the handler and not yet acknowledged', (c) => c.ackPending);
    gauge(
      'insights_event_consumer_redelivered',
      'Events being redelivered now (JetStream num_redelivered)',
      (c) => c.redelivered,
    );
  }
}
