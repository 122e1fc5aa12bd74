import { InsightsError } from '@insights/sdk';
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { waitAtMost } from '@insights/runtime';
import { parseConsumerDescription, token } from './subjects.ts';

/** What this node's registry view says about the mesh, for hard-realtime waits. */
export interface MeshView {
  /** Node ids in the registry now: a per-node consumer of a node that is gone is not waited for. */
  readonly live: ReadonlySet<string>;
  /** Every event handler a live node advertises, as `module.handler`. */
  readonly handlers: readonly { readonly node: string; readonly label: string }[];
  /**
   * Set while the node is still reading the whole registry (it follows it only when asked):
   * `live` and `handlers` are empty meanwhile and say nothing; ask again once this settles.
   */
  readonly reading?: Promise<void>;
}

/**
 * Hard realtime: resolves once every handler consumer of the stream has processed everything
 * up to `lastSeq` (nothing pending, nothing awaiting acknowledgement, or its ack floor past it),
 * and every handler a live node advertises has a consumer (a node advertises its modules before
 * its consumers exist), so every query anywhere reflects the events. At the deadline it fails
 * naming the handlers that had not finished.
 */
export async function waitForHandlers(
  jsm: JetStreamManager,
  stream: string,
  lastSeq: number,
  deadline: number,
  meshView: () => MeshView | undefined,
): Promise<void> {
  let unfinished: string[] = [];
  // A view still being read is waited for (not past the deadline): an empty one would hide handlers.
  const first = meshView();
  if (first?.reading !== undefined) await waitAtMost(first.reading, deadline);
  for (let delay = 5; ; delay = Math.min(100, delay * 2)) {
    const consumers: ConsumerInfo[] = [];
    for await (const c of jsm.consumers.list(stream)) consumers.push(c);
    const view = meshView();
    unfinished = unfinishedHandlers(consumers, lastSeq, view?.reading === undefined ? view : undefined);
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
 * The handlers still to wait for. Without a view (the registry not read yet) every consumer
 * counts, a dead node's too: waiting longer beats returning early.
 */
export function unfinishedHandlers(consumers: readonly ConsumerInfo[], lastSeq: number, view: MeshView | undefined): string[] {
  const unfinished: string[] = [];
  /** `label` for a consumer every replica shares, `label@node` for a node's own. */
  const present = new Set<string>();
  for (const c of consumers) {
    if (!c.name.startsWith('h_')) continue;
    const described = parseConsumerDescription(c.config.description ?? '');
    if (described !== undefined)
      present.add(described.node === undefined ? described.label : `${described.label}@${described.node}`);
    if (view !== undefined && ownedByDeadNode(c, described?.node, view.live)) continue;
    const done = c.ack_floor.stream_seq >= lastSeq || (c.num_pending === 0 && c.num_ack_pending === 0);
    if (!done) unfinished.push(described?.label ?? c.name);
  }
  for (const { node, label } of view?.handlers ?? [])
    if (!present.has(label) && !present.has(`${label}@${node}`)) unfinished.push(`${label} (node ${node}: no consumer yet)`);
  return unfinished;
}

/**
 * A per-node consumer (embedded database) names its node in its description; older ones only
 * in their name, where the id is a subject token (`node.1` became `node_1`: comparing raw ids
 * there took a live node's consumer for a dead one's and stopped waiting for it).
 */
function ownedByDeadNode(c: ConsumerInfo, describedNode: string | undefined, live: ReadonlySet<string>): boolean {
  if (describedNode !== undefined) return !live.has(describedNode);
  if (!c.name.includes('__')) return false;
  return ![...live].some((id) => c.name.endsWith(`__${token(id)}`));
}
