/**
 * A total order on events: time, then id. "First" and "last" attempts are then the same whatever
 * order the events arrived in, which is what makes realtime results equal a replay.
 */
import type { EventEnvelope } from '@insights/sdk';
import { epochMs } from './time.ts';

/** Where an event sits in the order: epoch ms and event id. */
export interface Stamp {
  readonly t: number;
  readonly id: string;
}

export function stampOf(e: EventEnvelope): Stamp {
  return { t: epochMs(e.time), id: e.id };
}

/** Negative when `a` comes first, 0 for the same event, positive when `b` comes first. */
export function compareStamps(a: Stamp, b: Stamp): number {
  return a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
