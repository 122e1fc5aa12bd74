import type { EventEnvelope } from '@insights/sdk';
import type { JsMsg } from '@nats-io/jetstream';
import type { AckLedger } from './ack-ledger.ts';
import { deadLetter, deliverEvents, handlerLabel, writeDeadLetter, type DeliveryDeps } from './delivery.ts';

export interface Queued {
  readonly m: JsMsg;
  readonly e: EventEnvelope;
  /** An event of a page: the page is acknowledged once all of this reader's events in it are (`left`, shared by them). */
  readonly page?: { left: number };
  /** Its index in the page. */
  readonly index?: number;
}

export interface InOrderStats {
  processed: number;
  deadLettered: number;
}

export interface InOrderDeps extends DeliveryDeps {
  readonly maxAttempts: number;
  readonly stats: InOrderStats;
  /** Named in the logs of retries. */
  readonly partition: number;
  /** Remembers what was handled, so a redelivery after a lost ack is not handled twice. */
  readonly ledger: AckLedger;
}

/** A dead letter of a page's event that could not be written is tried again after this long, ms. */
const DEAD_LETTER_RETRY_MS = 5_000;

function acknowledge(deps: InOrderDeps, q: Queued): void {
  if (q.page !== undefined && --q.page.left > 0) return;
  deps.ledger.record(q.m.seq);
  q.m.ack();
}

/**
 * Delivers a run of consecutive events of one partition and acknowledges them. If the run
 * fails, each event goes again on its own, in order, retried in place (a later event of its key
 * must not overtake it) and dead-lettered after `maxAttempts`. Resolves false when `signal`
 * aborted it: what is left stays unacknowledged for the next owner.
 */
export async function deliverInOrder(deps: InOrderDeps, run: readonly Queued[], signal: AbortSignal): Promise<boolean> {
  if (run.length > 1) {
    try {
      await deliverEvents(
        deps,
        run.map((q) => q.e),
        signal,
        run.map((q) => q.m),
      );
      for (const q of run) acknowledge(deps, q);
      deps.stats.processed += run.length;
      return true;
    } catch {
      if (signal.aborted) return false;
    }
  }
  for (const q of run) if (!(await deliverOne(deps, q, signal))) return false;
  return true;
}

async function deliverOne(deps: InOrderDeps, q: Queued, signal: AbortSignal): Promise<boolean> {
  const { m, e } = q;
  // Attempts made by a previous owner count too.
  for (let attempt = m.info.deliveryCount; ; attempt++) {
    try {
      await deliverEvents(deps, [e], signal, [m]);
      acknowledge(deps, q);
      deps.stats.processed++;
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      const message = err instanceof Error ? err.message : String(err);
      if (attempt >= deps.maxAttempts) {
        if (q.page !== undefined) return deadLetterFromPage(deps, q, message, attempt, signal);
        // Not written (NATS away): the event went back to the stream and comes again.
        if (await deadLetter(deps, m, e, message, attempt)) deps.stats.deadLettered++;
        return true;
      }
      const delay = Math.min(30_000, 200 * 2 ** (attempt - 1));
      deps.log.warn('event handler failed; retrying in place to keep the order of its key', {
        handler: handlerLabel(deps.handler),
        partition: deps.partition,
        event: e.id,
        attempt,
        retryInMs: delay,
        error: message,
      });
      await pause(delay, signal);
    }
  }
}

/**
 * Dead-letters an event of a page: the record alone (the page holds other events), then the
 * event counts as settled in its page. A record that cannot be written (NATS away) is tried
 * again, in place; false if `signal` aborted meanwhile (the page stays unacknowledged).
 */
async function deadLetterFromPage(
  deps: InOrderDeps,
  q: Queued,
  message: string,
  attempt: number,
  signal: AbortSignal,
): Promise<boolean> {
  while (!(await writeDeadLetter(deps, q.m, q.e, message, attempt, q.index))) {
    if (signal.aborted) return false;
    await pause(DEAD_LETTER_RETRY_MS, signal);
    if (signal.aborted) return false;
  }
  deps.stats.deadLettered++;
  acknowledge(deps, q);
  return true;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
