import { MAX_PAGE_EVENTS } from './event-page.ts';

/**
 * How many events a consumer's messages bring of late (a moving average), to size pulls counted
 * in messages: a pull stays open until it expires and takes whatever arrives, pages of up to 500
 * events included. It starts at a full page: a first pull sized for single events asked for
 * hundreds of messages and took every page published meanwhile (a replica that then stalled held
 * them all); with single events it falls to 1 within a few dozen messages.
 */
export class EventsPerMessage {
  #average = MAX_PAGE_EVENTS;

  /** A message brought `events` of this consumer's events (at least 1 is counted). */
  saw(events: number): void {
    this.#average = Math.max(1, this.#average * 0.8 + Math.max(1, events) * 0.2);
  }

  /** Messages to pull for room for `events` events (0: none fits yet). */
  messagesFor(events: number): number {
    return events <= 0 ? 0 : Math.floor(events / this.#average);
  }
}
