import type { EventEnvelope } from '@insights/sdk';
import { MAX_EVENT_HOPS, type HandlerRef, type Logger } from '@insights/runtime';
import type { JetStreamClient, JsMsg } from 'nats';
import { SpanKind, trace, type Link } from '@opentelemetry/api';
import { contextFrom, TRACEPARENT, type NodeTracing } from '../tracing.ts';
import { DLQ_SUBJECT_PREFIX, ONLY_HANDLER_HEADER, token } from './subjects.ts';

/** What handing events to one handler needs; shared by plain and partitioned consumers. */
export interface DeliveryDeps {
  readonly js: JetStreamClient;
  readonly handler: HandlerRef;
  readonly log: Logger;
  /** How long a handler may take on one batch, ms. */
  readonly handlerTimeoutMs: number;
  /** When tracing: each batch is a CONSUMER span linked to the traces that published its events. */
  readonly tracing?: NodeTracing | undefined;
}

export const handlerLabel = (h: HandlerRef): string => `${h.module}.${h.name}`;

/**
 * What a message means for this handler: an event to deliver, one to acknowledge and pass by
 * (re-driven for another handler, or past the hop limit), or bytes that are no event at all.
 */
export function readMessage(
  m: JsMsg,
  label: string,
): { type: 'event'; event: EventEnvelope } | { type: 'skip' } | { type: 'undecodable'; error: string } {
  const only = m.headers?.get(ONLY_HANDLER_HEADER);
  if (only !== undefined && only !== '' && only !== label) return { type: 'skip' };
  let e: EventEnvelope;
  try {
    e = JSON.parse(new TextDecoder().decode(m.data)) as EventEnvelope;
  } catch (err) {
    return { type: 'undecodable', error: `undecodable event: ${(err as Error).message}` };
  }
  if ((e.hops ?? 0) > MAX_EVENT_HOPS) return { type: 'skip' };
  return { type: 'event', event: e };
}

/** Runs the handler on `events`, in a CONSUMER span when tracing (its events' ingest traces as parent or links). */
export function deliverEvents(
  deps: DeliveryDeps,
  events: EventEnvelope[],
  signal: AbortSignal,
  carriers?: readonly JsMsg[],
): Promise<number> {
  const run = () =>
    deps.handler.host.handleEvents(deps.handler.name, events, { deadline: Date.now() + deps.handlerTimeoutMs, signal });
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

/** Publishes the failed event with its error to the handler's dead-letter subject and drops it from the consumer. */
export async function deadLetter(
  deps: DeliveryDeps,
  m: JsMsg,
  e: EventEnvelope | undefined,
  error: string,
  attempts = m.info.redeliveryCount,
): Promise<void> {
  const { js, handler } = deps;
  const record = {
    module: handler.module,
    handler: handler.name,
    error,
    attempts,
    streamSeq: m.seq,
    subject: m.subject,
    failedAt: new Date().toISOString(),
    event: e ?? new TextDecoder().decode(m.data),
  };
  await js.publish(
    `${DLQ_SUBJECT_PREFIX}.${token(handler.module)}.${token(handler.name)}`,
    new TextEncoder().encode(JSON.stringify(record)),
  );
  m.term();
  deps.log.error('event moved to the dead-letter subject', {
    handler: handlerLabel(handler),
    event: e?.id,
    attempts: record.attempts,
    error,
  });
}
