import { viewPage, type PageView } from './page-reading.ts';
import type { EventLimits } from './stored-envelope.ts';

/**
 * Pages held after one of this node's handler consumers first read them. Every handler of a
 * node reads the same pages at about the same time (the seven analytics of an lms node take
 * nearly every event), and reading an event (its limits scan, JSON.parse and envelope check) was
 * the node's largest cost per event but the collector's: once per node instead of once per
 * handler. Handlers share the envelopes; none of the node's code changes them, and the hosts
 * give module code copies (runtime's stored-json.ts).
 */
export class PageCache {
  readonly #limits: EventLimits;
  readonly #capacity: number;
  /** By stream sequence, least recently read first. */
  readonly #pages = new Map<number, { data: Uint8Array; view: PageView }>();
  hits = 0;
  misses = 0;

  /**
   * `capacity`: pages held at most (each up to 1 MiB of JSON and its envelopes, parsed as read).
   * On the 60,000-event course, 16 pages cost the ingesting node ~13 MB more at peak than 8.
   */
  constructor(limits: EventLimits, capacity = 8) {
    this.#limits = limits;
    this.#capacity = capacity;
  }

  /**
   * The page stored at `seq`, read once. The bytes are compared with those read before: a
   * stream deleted and made again (an operator's reset) reuses sequences for other pages.
   */
  read(seq: number, data: Uint8Array): PageView {
    const held = this.#pages.get(seq);
    if (held !== undefined) {
      this.#pages.delete(seq);
      if (Buffer.from(held.data.buffer, held.data.byteOffset, held.data.byteLength).equals(data)) {
        this.#pages.set(seq, held);
        this.hits++;
        return held.view;
      }
    }
    this.misses++;
    const view = viewPage(data, this.#limits);
    this.#pages.set(seq, { data, view });
    if (this.#pages.size > this.#capacity) this.#pages.delete(this.#pages.keys().next().value!);
    return view;
  }
}
