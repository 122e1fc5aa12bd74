import { InsightsError } from '@insights/sdk';
import type { JetStreamManager } from 'nats';

/**
 * Hard realtime: resolves once every handler consumer of the stream has processed everything
 * up to `lastSeq` (nothing pending, nothing awaiting acknowledgement, or its ack floor past it),
 * so every query anywhere reflects the events. At the deadline it fails naming the handlers that
 * had not finished.
 */
export async function waitForHandlers(
  jsm: JetStreamManager,
  stream: string,
  lastSeq: number,
  deadline: number,
  /** Node ids in the registry now; a per-node consumer of a node that is gone is not waited for. */
  liveNodes: () => ReadonlySet<string> | undefined,
): Promise<void> {
  let unfinished: string[] = [];
  for (let delay = 5; ; delay = Math.min(100, delay * 2)) {
    unfinished = [];
    for await (const c of jsm.consumers.list(stream)) {
      if (!c.name.startsWith('h_')) continue;
      const owner = c.name.split('__')[1];
      const live = liveNodes();
      if (owner !== undefined && live !== undefined && !live.has(owner)) continue;
      const done = c.ack_floor.stream_seq >= lastSeq || (c.num_pending === 0 && c.num_ack_pending === 0);
      if (!done) unfinished.push(c.config.description?.replace(/^insights handler /, '') ?? c.name);
    }
    if (unfinished.length === 0) return;
    if (Date.now() + delay > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new InsightsError(
    'DEADLINE_EXCEEDED',
    `events were stored, but these handlers had not processed them by the deadline: ${unfinished.join(', ')}`,
  );
}
