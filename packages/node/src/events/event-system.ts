import { InsightsError, type EventEnvelope } from '@insights/sdk';
import { DirectDelivery, EventRouter, type Logger, type ModuleHost } from '@insights/runtime';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NodeConfig } from '../config.ts';
import type { NatsLink } from '../nats-link.ts';
import { HandlerConsumer, type HandlerWorker } from './handler-consumer.ts';
import { LeaseBucket } from './leases.ts';
import { PARTITION_LEASE_BUCKET, PartitionedHandler } from './partitioned-handler.ts';
import { JetStreamPublisher } from './jetstream-publisher.ts';
import { DEFAULT_ATOMIC_BATCH_LIMITS } from './atomic-batch-publish.ts';
import { DEFAULT_PAGE_LIMITS } from './event-page.ts';
import { acknowledged, publishEnvelopes, sendEnvelopes, type EnvelopeSending } from './publisher.ts';
import { SerialQueue } from './serial-queue.ts';
import { Scheduler } from './scheduler.ts';
import { ensureEventStreams } from './streams.ts';
import { resolveReplicas } from '../replicas.ts';
import { INGEST_SUBJECT } from './subjects.ts';
import { waitForHandlers, type MeshView } from './wait-for-handlers.ts';
import type { NodeTracing } from '../tracing.ts';
import { eventsBatchRefusal } from './ingest-body.ts';
import { PageCache } from './page-cache.ts';
import { TRACEPARENT } from '../tracing.ts';

/** What the event system uses of its NATS connection once the streams exist. */
interface EventConnection {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The publisher, in atomic batches where the stream allows them. */
  readonly sending: EnvelopeSending;
}

export interface IngestOptions {
  /** Hard realtime: resolve only once every matching handler in the mesh has processed the events. */
  waitForHandlers?: boolean;
  /** Deadline for the wait, ms. */
  timeoutMs?: number;
}

export interface NodeIngestReport {
  received: number;
  accepted: number;
  /** Dropped as re-sent within the duplicate window. */
  duplicates: number;
  rejected: { index: number; message: string }[];
  /** `jetstream` when events went through NATS; `direct` on a node without NATS. */
  path: 'jetstream' | 'direct';
}

export interface EventSystem {
  ingest(raws: readonly unknown[], options?: IngestOptions): Promise<NodeIngestReport>;
  /** Where `ctx.emit` sends derived events. */
  emit(e: EventEnvelope): Promise<void>;
  property(e: EventEnvelope, name: string): Promise<unknown>;
  handlerStats(): {
    handler: string;
    processed: number;
    deadLettered: number;
    rejected: number;
    redelivered: number;
    duplicatesSkipped: number;
    pastOnceMemory: number;
  }[];
  /** The handlers' durable consumers as JetStream counts them (lag = pending), for metrics. */
  consumerInfo(): Promise<{ handler: string; pending: number; ackPending: number; redelivered: number }[]>;
  readonly scheduler: Scheduler;
  /** Events flow: the streams exist and every handler of this node reads (always, without NATS). */
  flowing(): boolean;
  /** Resolves true once events flow, false if they do not within `ms` (NATS unreachable, say). */
  untilFlowing(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Events on a node: with NATS, ingest normalises and publishes to the JetStream stream and every
 * handler of this node's modules reads through its own durable consumer; without NATS, events are
 * delivered directly in this process (the same filters and normalisation).
 */
export function startEventSystem(
  config: NodeConfig,
  link: NatsLink,
  hosts: ReadonlyMap<string, ModuleHost>,
  log: Logger,
  meshView: () => MeshView | undefined = () => undefined,
  tracing?: NodeTracing,
): EventSystem {
  const router = new EventRouter(hosts);
  const direct = new DirectDelivery(hosts);
  const consumers: HandlerWorker[] = [];
  let js: JetStreamClient | undefined;
  let jsm: JetStreamManager | undefined;
  let sub: Subscription | undefined;
  let closed = false;
  const settings = config.events;
  const sends = new SerialQueue();

  const setUp = async (nc: NatsConnection): Promise<EventConnection> => {
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    const stream = await ensureEventStreams(
      jsm,
      { ...settings, replicas: resolveReplicas(nc, settings.replicas) },
      nc.info?.version,
    );
    const handlers = router.handlers();
    // Splitting keys across replicas is right only where every replica's queries see every key.
    const split = config.db.kind !== 'embedded' || settings.splitWithEmbeddedDb;
    const leases =
      split && handlers.some((h) => h.meta.partitionBy !== undefined)
        ? await LeaseBucket.open(nc, PARTITION_LEASE_BUCKET, settings.partitionLeaseMs, config.registry.replicas)
        : undefined;
    const pageCache = new PageCache(config.limits);
    for (const handler of handlers) {
      const common = {
        js,
        jsm,
        stream: settings.stream,
        handler,
        log,
        defaultMaxAttempts: settings.maxAttempts,
        ackWaitMs: settings.ackWaitMs,
        handlerTimeoutMs: settings.handlerTimeoutMs,
        tracing,
        limits: config.limits,
        pages: pageCache,
      };
      const c: HandlerWorker =
        leases !== undefined && handler.meta.partitionBy !== undefined
          ? new PartitionedHandler({ ...common, nodeId: config.id, leases, flush: () => nc.flush() })
          : new HandlerConsumer({ ...common, ownConsumerFor: config.db.kind === 'embedded' ? config.id : undefined });
      await c.start();
      consumers.push(c);
    }
    // Plain NATS publishers: raw events on insights.ingest, one node of the queue group takes each.
    sub = nc.subscribe(INGEST_SUBJECT, {
      queue: 'insights-ingest',
      callback: (err, msg) => {
        if (err) return;
        let raws: unknown[];
        const refusal = eventsBatchRefusal(msg.data, config.maxRequestBytes, 'maxRequestBytes', config.limits);
        if (refusal !== undefined) {
          log.warn('refused a message on the ingest subject', { error: refusal });
          if (msg.reply) msg.respond(new TextEncoder().encode(JSON.stringify({ error: refusal })));
          return;
        }
        try {
          const v = JSON.parse(new TextDecoder().decode(msg.data)) as unknown;
          raws = Array.isArray(v) ? v : [v];
        } catch (e) {
          log.warn('ignored an undecodable message on the ingest subject', { error: (e as Error).message });
          if (msg.reply) msg.respond(new TextEncoder().encode(JSON.stringify({ error: 'not JSON' })));
          return;
        }
        system.ingest(raws).then(
          (r) => msg.reply && msg.respond(new TextEncoder().encode(JSON.stringify(r))),
          (e: unknown) => log.warn('ingest over NATS failed', { error: (e as Error).message }),
        );
      },
    });
    const atomicBatch = stream.atomicBatches ? DEFAULT_ATOMIC_BATCH_LIMITS : undefined;
    // A page fits the server's max_payload (1 MiB by default; an operator may set less).
    const maxPayload = nc.info?.max_payload ?? DEFAULT_PAGE_LIMITS.maxBytes;
    const pages = settings.pages
      ? { ...DEFAULT_PAGE_LIMITS, maxBytes: Math.min(DEFAULT_PAGE_LIMITS.maxBytes, maxPayload - 16 * 1024) }
      : undefined;
    log.info('events flowing through JetStream', {
      stream: settings.stream,
      handlers: consumers.map((c) => c.name),
      atomicBatches: stream.atomicBatches,
      pages: pages !== undefined,
    });
    return { js, jsm, sending: { publisher: new JetStreamPublisher(nc), atomicBatch, pages } };
  };
  // A JetStream cluster answers 503 or times out while it elects leaders (a server restarting,
  // several nodes creating the streams at once): start again from scratch until it works.
  const ready: Promise<EventConnection> | undefined = link.configured
    ? link.connected.then(async (nc: NatsConnection) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await setUp(nc);
          } catch (e) {
            sub?.unsubscribe();
            await Promise.all(consumers.splice(0).map((c) => c.stop()));
            if (closed || nc.isClosed()) throw e;
            const retryInMs = Math.min(10_000, 250 * 2 ** attempt);
            log.warn('event system could not start; retrying', { error: (e as Error).message, attempt, retryInMs });
            await new Promise((r) => setTimeout(r, retryInMs));
          }
        }
      })
    : undefined;
  ready?.catch((e: unknown) => log.error('event system failed to start', { error: (e as Error).message }));
  let flowing = ready === undefined;
  void ready?.then(
    () => (flowing = true),
    () => undefined,
  );

  const scheduler = new Scheduler(
    hosts,
    log,
    config.id,
    link.configured ? link.connected : undefined,
    config.defaultTimeoutMs * 6,
    config.registry.replicas,
  );
  scheduler.start();

  const system: EventSystem = {
    scheduler,
    async ingest(raws, options = {}) {
      if (ready === undefined) {
        const r = await direct.ingest(raws);
        return { received: r.received, accepted: r.accepted, duplicates: 0, rejected: [...r.rejected], path: 'direct' };
      }
      const deadline = Date.now() + (options.timeoutMs ?? config.defaultTimeoutMs);
      const conn = await readyBy(ready, deadline);
      // The ingest's trace travels with each event (a NATS header), so handler spans link back to it.
      const traceparent = tracing?.current() ?? '';
      const headers = traceparent === '' ? undefined : { [TRACEPARENT]: traceparent };
      // Batches normalise concurrently (a stream's next chunk while this one is acknowledged) but
      // are sent in arrival order; sending waits for room in the publisher's window (flow control).
      const normalised = router.normalise(raws);
      normalised.catch(() => undefined); // observed by its send step
      const { errors, sent, reports } = await sends.run(async () => {
        const n = await normalised;
        return { errors: n.errors, sent: n.envelopes.length, reports: await sendEnvelopes(conn.sending, n.envelopes, headers) };
      });
      const published = await acknowledged(reports);
      if (options.waitForHandlers && published.lastSeq > 0)
        await waitForHandlers(conn.jsm, settings.stream, published.lastSeq, deadline, meshView);
      return {
        received: raws.length,
        accepted: sent,
        duplicates: published.duplicates,
        rejected: errors,
        path: 'jetstream',
      };
    },
    async emit(e) {
      if (ready === undefined) return direct.emit(e);
      const conn = await ready;
      await publishEnvelopes(conn.sending, [e]);
    },
    property: (e, name) => router.property(e, name),
    flowing: () => flowing,
    async untilFlowing(ms) {
      if (ready === undefined || flowing) return true;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
      const started = ready.then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([started, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    handlerStats: () =>
      consumers.map((c) => ({
        handler: c.name,
        processed: c.processed,
        deadLettered: c.deadLettered,
        rejected: c.rejected,
        redelivered: c.redelivered,
        duplicatesSkipped: c.duplicatesSkipped,
        pastOnceMemory: c.pastOnceMemory ?? 0,
      })),
    async consumerInfo() {
      if (jsm === undefined) return [];
      const m = jsm;
      return Promise.all(
        consumers
          .flatMap((c) => c.durables)
          .map(async (durable) => {
            const i = await m.consumers.info(settings.stream, durable);
            return { handler: durable, pending: i.num_pending, ackPending: i.num_ack_pending, redelivered: i.num_redelivered };
          }),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      scheduler.stop();
      sub?.unsubscribe();
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
  return system;
}

/**
 * The event system's connection, or UNAVAILABLE at `deadline`. The timer is cleared as soon as
 * the race is decided and its callback sees nothing of the ingest that awaits it: a pending timer
 * whose closure held an ingest's scope kept every ingested batch (its normalised envelopes) alive
 * until the deadline: 124 MB of them in a flow-control test's import of 48 KB events.
 */
async function readyBy<T>(ready: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InsightsError('UNAVAILABLE', 'events need NATS, which this node cannot reach yet; retry shortly')),
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
  });
  try {
    return await Promise.race([ready, late]);
  } finally {
    clearTimeout(timer);
  }
}
