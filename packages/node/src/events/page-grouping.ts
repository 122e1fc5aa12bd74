import type { EventEnvelope } from '@insights/sdk';
import { encodePage, MAX_PAGE_INDEX_BYTES, type PageLimits } from './event-page.ts';
import type { OutgoingMessage } from './outgoing-message.ts';
import { subjectFor } from './subjects.ts';

/** Index bytes an event may add to its page (`[499,63,63,63],`), so a page is cut before it outgrows maxBytes. */
const INDEX_BYTES_PER_EVENT = 17;
/** The index line's fixed part, besides the source and types. */
const INDEX_BYTES_FIXED = 64;

/**
 * The messages a batch of envelopes is stored as, in input order: consecutive events of one
 * source go into pages of up to `limits` events and bytes; an event alone (a run of one, or one
 * too large to share a page) stays an ordinary keyed message with its id as the message id.
 * Grouping by source only, not type, keeps the stream in input order, so each key's events
 * (partitionBy) stay in the order they came in; the page index lets a handler skip other types.
 * Deterministic: the same envelopes give the same pages, with the same ids (event-page.ts).
 */
export function pagedMessages(envelopes: readonly EventEnvelope[], limits: PageLimits): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  let run: EventEnvelope[] = [];
  let bytes: Uint8Array[] = [];
  let size = 0;
  let indexSize = 0;
  let types = new Set<string>();
  const flush = () => {
    if (run.length === 1) out.push({ subject: subjectFor(run[0]!), data: bytes[0]!, msgId: run[0]!.id });
    else if (run.length > 1) out.push(encodePage(run, bytes));
    run = [];
    bytes = [];
    types = new Set();
    size = 0;
    indexSize = 0;
  };
  for (const e of envelopes) {
    const data = Buffer.from(JSON.stringify(e));
    const indexAdds = INDEX_BYTES_PER_EVENT + (types.has(e.type) ? 0 : jsonBytes(e.type) + 1);
    const adds = data.length + 1 + indexAdds;
    const fixed = INDEX_BYTES_FIXED + jsonBytes(e.source);
    const fits =
      run.length > 0 &&
      run[0]!.source === e.source &&
      run.length < limits.maxEvents &&
      size + adds <= limits.maxBytes - fixed &&
      indexSize + indexAdds <= MAX_PAGE_INDEX_BYTES - fixed;
    if (!fits) flush();
    run.push(e);
    bytes.push(data);
    types.add(e.type);
    size += adds;
    indexSize += indexAdds;
  }
  flush();
  return out;
}

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s));
