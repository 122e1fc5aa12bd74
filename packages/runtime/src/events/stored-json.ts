import type { EventEnvelope } from '@insights/sdk';

/**
 * The JSON an event was read from the stream as, when those bytes are exactly the envelope the
 * node checked (no field an envelope does not have). A node reads each stored page once for all
 * its handlers and shares the envelopes (the node's page-cache.ts); a sandbox host then sends
 * these bytes on instead of serialising the same objects again for every handler, and an inline
 * host parses them when another handler already has the objects (ownCopies).
 */
const storedJson = new WeakMap<EventEnvelope, Uint8Array>();

/** Records that `json` is `event` as stored (the caller checked it parses to exactly that). */
export function rememberStoredJson(event: EventEnvelope, json: Uint8Array): void {
  storedJson.set(event, json);
}

/** The events as one JSON array built from their stored bytes; undefined when one has none. */
export function storedJsonArray(events: readonly EventEnvelope[]): Buffer | undefined {
  const parts: Uint8Array[] = [];
  let size = 2 + Math.max(0, events.length - 1);
  for (const e of events) {
    const json = storedJson.get(e);
    if (json === undefined) return undefined;
    parts.push(json);
    size += json.byteLength;
  }
  const out = Buffer.allocUnsafeSlow(size);
  out[0] = 0x5b; // [
  let at = 1;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    out.set(parts[i]!, at);
    at += parts[i]!.byteLength;
  }
  out[at] = 0x5d; // ]
  return out;
}

/** Events given to a handler in this process as they are: the next handler gets copies. */
const handedOut = new WeakSet<EventEnvelope>();

/**
 * What an inline handler gets: the events themselves the first time (as when each handler's
 * reader parsed its own), copies parsed from their stored bytes after that, so one handler's
 * changes to an event are never another's. Events without stored bytes are given as they are.
 */
export function ownCopies(events: readonly EventEnvelope[]): readonly EventEnvelope[] {
  if (!events.some((e) => handedOut.has(e))) {
    for (const e of events) handedOut.add(e);
    return events;
  }
  const json = storedJsonArray(events);
  return json === undefined ? events : (JSON.parse(json.toString('utf8')) as EventEnvelope[]);
}
