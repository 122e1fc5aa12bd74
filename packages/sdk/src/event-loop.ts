import type { EventHandlerDefinition } from './analytic.ts';
import type { EventContext } from './context.ts';
import type { EventEnvelope } from './event.ts';

export interface EventLoopInit extends Omit<EventHandlerDefinition, 'kind' | 'handle'> {
  /**
   * One sequential consumer: `for await (const event of events) { ... }`. An event counts as
   * processed (and is acknowledged) once the loop asks for the next one; if the loop throws,
   * the unprocessed events are retried and the loop starts again.
   */
  loop(events: AsyncIterable<EventEnvelope>, ctx: EventContext): Promise<void>;
}

interface Batch {
  readonly events: readonly EventEnvelope[];
  next: number;
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * The single-process style the prototype's authors asked for (`while(true) get_event()`), as an
 * ordinary handler: batches delivered by the node feed one long-running loop, in order.
 */
export function eventLoop(init: EventLoopInit): EventHandlerDefinition {
  const { loop, ...rest } = init;
  const batches: Batch[] = [];
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;

  const events: AsyncIterable<EventEnvelope> = {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<EventEnvelope>> {
        for (;;) {
          const head = batches[0];
          // Asking for the next event means the previous one is done.
          if (head !== undefined && head.next === head.events.length) {
            batches.shift();
            head.resolve();
            continue;
          }
          if (head !== undefined) return { done: false, value: head.events[head.next++] as EventEnvelope };
          await new Promise<void>((r) => (wake = r));
        }
      },
    }),
  };

  return {
    ...rest,
    kind: 'event-handler',
    handle: (batch, ctx) =>
      new Promise<void>((resolve, reject) => {
        if (batch.length === 0) return resolve();
        batches.push({ events: batch, next: 0, resolve, reject });
        running ??= loop(events, ctx).then(
          () => failAll(new Error('the event loop returned; it must keep reading events')),
          (e: unknown) => failAll(e),
        );
        wake?.();
        wake = undefined;
      }),
  };

  function failAll(e: unknown): void {
    running = undefined;
    for (const b of batches.splice(0)) b.reject(e);
  }
}
