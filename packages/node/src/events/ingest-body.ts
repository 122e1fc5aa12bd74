import { InsightsError } from '@insights/sdk';
import { checkJsonLimits, describeJsonBreach } from '@insights/wire';

/**
 * Events as the prototype accepted them over HTTP: a JSON object, an array, JSON lines, or a
 * JSON-encoded string of any of these. Bad lines are reported by number; the good ones go on.
 * Nesting past limits.maxJsonDepth refuses the body before it is parsed.
 */
export function parseEventsBody(
  text: string,
  limits: IngestLimits,
): { events: unknown[]; bad: { index: number; message: string }[] } {
  const trimmed = text.trim();
  if (trimmed === '') throw new InsightsError('INVALID_ARGUMENT', 'no events in the request body', { parameter: '(body)' });
  checkEventsBodyDepth(trimmed, limits);
  try {
    const v = JSON.parse(trimmed) as unknown;
    if (typeof v === 'string') return parseEventsBody(v, limits);
    return { events: Array.isArray(v) ? v : [v], bad: [] };
  } catch {
    // not one JSON document: JSON lines
  }
  const events: unknown[] = [];
  const bad: { index: number; message: string }[] = [];
  trimmed.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line));
    } catch (e) {
      bad.push({ index: i, message: `line ${i + 1}: not JSON (${(e as Error).message})` });
    }
  });
  return { events, bad };
}

/** Size and depth one ingested event may have (the node config's `limits`). */
export interface IngestLimits {
  readonly maxEventBytes: number;
  readonly maxJsonDepth: number;
}

/** Why one event's JSON is refused before parsing (too large or too deep), naming the limit; undefined when it may be parsed. */
export function eventJsonRefusal(json: Uint8Array | string, limits: IngestLimits): string | undefined {
  const breach = checkJsonLimits(json, { maxBytes: limits.maxEventBytes, maxDepth: limits.maxJsonDepth });
  if (breach === undefined) return undefined;
  return describeJsonBreach('event', breach, breach.limit === 'maxBytes' ? 'limits.maxEventBytes' : 'limits.maxJsonDepth');
}

/**
 * Why a batch of events (one event, or an array of them) is refused before parsing: over
 * `maxBytes` (named `bytesSetting`), or an event nested past limits.maxJsonDepth (the array
 * around the events is not counted). Undefined when it may be parsed.
 */
export function eventsBatchRefusal(
  json: Uint8Array | string,
  maxBytes: number,
  bytesSetting: string,
  limits: IngestLimits,
): string | undefined {
  const breach = checkJsonLimits(json, { maxBytes, maxDepth: limits.maxJsonDepth + 1 });
  if (breach === undefined) return undefined;
  return breach.limit === 'maxBytes'
    ? describeJsonBreach('events', breach, bytesSetting)
    : describeJsonBreach('events', { ...breach, max: limits.maxJsonDepth }, 'limits.maxJsonDepth');
}

/** A whole ingest body whose events nest too deep is refused before parsing (its size is bounded by maxRequestBytes already). */
export function checkEventsBodyDepth(text: string, limits: IngestLimits): void {
  const refusal = eventsBatchRefusal(text, Number.MAX_SAFE_INTEGER, 'maxRequestBytes', limits);
  if (refusal !== undefined) throw new InsightsError('INVALID_ARGUMENT', refusal, { parameter: '(body)' });
}
