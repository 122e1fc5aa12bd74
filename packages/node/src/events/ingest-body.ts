import { InsightsError } from '@insights/sdk';

/**
 * Events as the prototype accepted them over HTTP: a JSON object, an array, JSON lines, or a
 * JSON-encoded string of any of these. Bad lines are reported by number; the good ones go on.
 */
export function parseEventsBody(text: string): { events: unknown[]; bad: { index: number; message: string }[] } {
  const trimmed = text.trim();
  if (trimmed === '') throw new InsightsError('INVALID_ARGUMENT', 'no events in the request body', { parameter: '(body)' });
  try {
    const v = JSON.parse(trimmed) as unknown;
    if (typeof v === 'string') return parseEventsBody(v);
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
