/**
 * UTC calendar helpers. Analytics bucket events by the UTC date of `envelope.time`, as the edX
 * analytics pipeline did, so a result never depends on the machine's time zone.
 */

const DAY_MS = 86_400_000;

/** Epoch milliseconds of an envelope time; throws on text that is not a date, so bad data is loud. */
export function epochMs(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`not an ISO-8601 date-time: ${JSON.stringify(iso)}`);
  return ms;
}

/** `YYYY-MM-DD` of the UTC day containing `iso`. */
export function utcDay(iso: string): string {
  return new Date(epochMs(iso)).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` of the Monday (UTC) starting the week that contains `iso`. */
export function weekStart(iso: string): string {
  const ms = epochMs(iso);
  const midnight = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  const sinceMonday = (new Date(midnight).getUTCDay() + 6) % 7;
  return new Date(midnight - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

/** `day` (`YYYY-MM-DD`) moved by `days`. */
export function addDays(day: string, days: number): string {
  return new Date(epochMs(`${day}T00:00:00.000Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
