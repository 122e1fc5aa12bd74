import type { EventEnvelope } from '@insights/sdk';
import { MAX_EVENT_HOPS, type HandlerRef, type Logger, type StreamDelivery } from '@insights/runtime';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { SpanKind, trace, type Link } from '@opentelemetry/api';
import { contextFrom, TRACEPARENT, type NodeTracing } from '../tracing.ts';
import type { PageCache } from './page-cache.ts';
import { readStoredEnvelope, type EventLimits } from './stored-envelope.ts';
import { DLQ_SUBJECT_PREFIX, ONLY_CONSUMER_HEADER, ONLY_HANDLER_HEADER, token } from './subjects.ts';

/** What handing events to one handler needs; shared by plain and partitioned consumers. */
export interface DeliveryDeps {
  readonly js: JetStreamClient;
  readonly handler: HandlerRef;
  readonly log: Logger;
  /** How long a handler may take on one batch, ms. */
  readonly handlerTimeoutMs: number;
  /** When tracing: each batch is a CONSUMER span linked to the traces that published its events. */
  readonly tracing?: NodeTracing | undefined;
  /** What a message read from NATS may be before it is refused (dead-lettered, never handled). */
  readonly limits: EventLimits;
  /** The node's pages read once for all its handlers (with the same limits). */
  readonly pages: PageCache;
}

export const handlerLabel = (h: HandlerRef): string => `${h.module}.${h.name}`;

/** Whether a message was re-published for one handler, or one consumer, other than this one. */
export function forAnother(m: JsMsg, label: string, durable: string): boolean {
  const only = m.headers?.get(ONLY_HANDLER_HEADER);
  if (only !== undefined && only !== '' && only !== label) return true;
  const consumer = m.headers?.get(ONLY_CONSUMER_HEADER);
  return consumer !== undefined && consumer !== '' && consumer !== durable;
}

/**
 * What a message means for this handler: an event to deliver, one to acknowledge and pass by
 * (re-driven for another handler, or past the hop limit), or one refused: too large, too deep,
 * not JSON or not an envelope (anyone able to publish on the subject can send anything).
 */
export function readMessage(
  m: JsMsg,
  label: string,
  durable: string,
  limits: EventLimits,
): { type: 'event'; event: EventEnvelope } | { type: 'skip' } | { type: 'invalid'; error: string } {
  if (forAnother(m, label, durable)) return { type: 'skip' };
  const r = readStoredEnvelope(m.data, limits);
  if (!r.ok) return { type: 'invalid', error: r.reason };
  if ((r.event.hops ?? 0) > MAX_EVENT_HOPS) return { type: 'skip' };
  return { type: 'event', event: r.event };
}

/**
 * Runs the handler on `events`, in a CONSUMER span when tracing (its events' ingest traces as
 * parent or links). `delivery`: their stream sequences and the consumer's ack floor, for `updateOnce`.
 */
export function deliverEvents(
  deps: DeliveryDeps,
  events: EventEnvelope[],
  signal: AbortSignal,
  carriers?: readonly JsMsg[],
  delivery?: StreamDelivery,
): Promise<number> {
  const run = () =>
    deps.handler.host.handleEvents(deps.handler.name, events, {
      deadline: Date.now() + deps.handlerTimeoutMs,
      signal,
      delivery,
    });
  const tracing = deps.tracing;
  if (tracing === undefined || carriers === undefined) return run();
  const parents = carriers.map((m) => m.headers?.get(TRACEPARENT) ?? '').filter((t) => t !== '');
  const links: Link[] = [];
  for (const p of new Set(parents)) {
    const sc = trace.getSpanContext(contextFrom(p));
    if (sc !== undefined) links.push({ context: sc });
  }
  // One event: its ingest is the parent. A batch mixes traces: each one is a link.
  const label = handlerLabel(deps.handler);
  return tracing.span(
    `insights.events ${label}`,
    parents.length === 1 ? parents[0] : undefined,
    { 'insights.handler': label, 'messaging.batch.message_count': events.length },
    run,
    SpanKind.CONSUMER,
    links,
  );
}

/** A dead-letter record carries at most this much of a refused message's bytes (it must fit a NATS message). */
const DEAD_LETTER_EXCERPT_BYTES = 4096;
/** A dead letter that could not be written is offered again after this long, ms. */
const DEAD_LETTER_RETRY_MS = 5_000;

/**
 * Publishes the failed event with its error to the handler's dead-letter subject and drops it
 * from the consumer. Never rejects: a dead letter that cannot be written (NATS away) is logged
 * and the message goes back to the stream for later, so no consumer loop dies of it. Resolves
 * whether the record was written.
 */
export async function deadLetter(
  deps: DeliveryDeps,
  m: JsMsg,
  e: EventEnvelope | undefined,
  error: string,
  attempts = m.info.deliveryCount,
): Promise<boolean> {
  if (!(await writeDeadLetter(deps, m, e ?? refusedBytes(m.data), error, attempts))) {
    m.nak(DEAD_LETTER_RETRY_MS);
    return false;
  }
  m.term();
  return true;
}

/**
 * Writes the dead-letter record of one event of a message (a page's event: the message holds
 * others, so it is left alone). Never rejects; resolves whether the record was written.
 * `event`: the envelope, or what is shown of bytes that are none.
 */
export async function writeDeadLetter(
  deps: DeliveryDeps,
  m: JsMsg,
  event: EventEnvelope | { event: string; bytes?: number },
  error: string,
  attempts = m.info.deliveryCount,
  pageIndex?: number,
): Promise<boolean> {
  const { js, handler } = deps;
  const envelope = 'id' in event ? event : undefined;
  const record = {
    module: handler.module,
    handler: handler.name,
    error,
    attempts,
    streamSeq: m.seq,
    ...(pageIndex === undefined ? {} : { pageIndex }),
    subject: m.subject,
    failedAt: new Date().toISOString(),
    ...(envelope !== undefined ? { event: envelope } : event),
  };
  try {
    await js.publish(
      `${DLQ_SUBJECT_PREFIX}.${token(handler.module)}.${token(handler.name)}`,
      new TextEncoder().encode(JSON.stringify(record)),
    );
  } catch (err) {
    deps.log.error('could not write a dead letter; the event goes back to the stream', {
      handler: handlerLabel(handler),
      streamSeq: m.seq,
      error: (err as Error).message,
    });
    return false;
  }
  deps.log.error('event moved to the dead-letter subject', {
    handler: handlerLabel(handler),
    event: envelope?.id,
    attempts: record.attempts,
    error,
  });
  return true;
}

/** A refused message as its dead letter shows it: the whole text when small, else its size and first bytes. */
export function refusedBytes(data: Uint8Array): { event: string; bytes?: number } {
  if (data.length <= DEAD_LETTER_EXCERPT_BYTES) return { event: new TextDecoder().decode(data) };
  return { event: new TextDecoder().decode(data.subarray(0, DEAD_LETTER_EXCERPT_BYTES)), bytes: data.length };
}
