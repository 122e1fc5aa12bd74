import type { Consumer, JsMsg } from '@nats-io/jetstream';

export interface PullLoopOptions {
  readonly consumer: Consumer;
  /** How many more messages this reader can hold now; 0 waits for `roomFreed`. */
  room(): number;
  roomFreed(): Promise<void>;
  /** Awaited: a reader that handles messages one at a time holds the pull until it is done. */
  onMessage(m: JsMsg): void | Promise<void>;
  /** Aborting ends the current pull at once and the loop with it. */
  readonly signal: AbortSignal;
  /** Checked between pulls: false ends the loop after the current pull has been read to its end. */
  keepGoing(): boolean;
  /**
   * Short pulls: their heartbeats tell within seconds that the consumer's leader moved (a NATS
   * server lost), and the next pull goes to the new leader.
   */
  readonly expiresMs: number;
  /** A failed pull (attempt counts them) or a message whose handling threw (attempt 0); the loop goes on. */
  onError(e: Error, attempt: number): void;
}

/**
 * Reads a durable consumer by explicit pulls of at most `room()` messages. A reader never holds
 * more than it can work through (JetStream's push-style `consume` keeps pulling as soon as the
 * callback returns, so a slow handler's buffer outgrew the ack wait and every buffered event
 * came again, after the wait for handlers had already seen it acknowledged).
 */
export async function pullLoop(o: PullLoopOptions): Promise<void> {
  for (let failures = 0; !o.signal.aborted && o.keepGoing();) {
    const n = o.room();
    if (n <= 0) {
      await o.roomFreed();
      continue;
    }
    try {
      const batch = await o.consumer.fetch({ max_messages: n, expires: o.expiresMs });
      const stop = () => batch.stop();
      o.signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const m of batch) {
          // One message's failure must not end the pull (nor the loop): it stays unacknowledged and comes again.
          try {
            await o.onMessage(m);
          } catch (e) {
            o.onError(e as Error, 0);
          }
        }
      } finally {
        o.signal.removeEventListener('abort', stop);
      }
      failures = 0;
    } catch (e) {
      if (o.signal.aborted) break;
      failures++;
      o.onError(e as Error, failures);
      await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** failures)));
    }
  }
}
