import { InsightsError } from '@insights/sdk';
import type { ConsumerInfo, JetStreamManager } from 'nats';
import { token } from './subjects.ts';

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
      const live = liveNodes();
      if (live !== undefined && ownedByDeadNode(c, live)) continue;
      const done = c.ack_floor.stream_seq >= lastSeq || (c.num_pending === 0 && c.num_ack_pending === 0);
      if (!done) unfinished.push(c.config.description?.replace(/^insights handler /, '').replace(/ \(node .+\)$/, '') ?? c.name);
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

/**
 * A per-node consumer (embedded database) names its node in its description; older ones only
 * in their name, where the id is a subject token (`node.1` became `node_1`: comparing raw ids
 * there took a live node's consumer for a dead one's and stopped waiting for it).
 */
function ownedByDeadNode(c: ConsumerInfo, live: ReadonlySet<string>): boolean {
  const described = /\(node (.+)\)$/.exec(c.config.description ?? '')?.[1];
  if (described !== undefined) return !live.has(described);
  if (!c.name.includes('__')) return false;
  return ![...live].some((id) => c.name.endsWith(`__${token(id)}`));
}
