import { NodeConnection, type MeshDescription } from '@insights/client';

/**
 * Module files (e.g. a PNG a view stored with `fs.url`) are served by the node's HTTP server
 * under signed URLs. The browser may not reach nodes at all, and a view's frame may load images
 * only from the dashboard, so the dashboard rewrites those URLs to `/node-files/<node>/...` and
 * relays them. Only known nodes' addresses are rewritten and relayed (no open proxy), and the
 * node still checks each URL's signature and expiry.
 */
export class NodeFiles {
  /** node id -> { gRPC address it was described at, its HTTP address } */
  readonly #nodes = new Map<string, { grpc: string; http: string }>();

  constructor(private readonly capability: () => string | undefined) {}

  /** Learns the HTTP address of nodes it has not described yet (one Describe each). */
  async refresh(d: MeshDescription): Promise<void> {
    await Promise.all(
      d.nodes
        .filter((n) => this.#nodes.get(n.id)?.grpc !== n.address)
        .map(async (n) => {
          const c = new NodeConnection(n.address);
          try {
            const r = await c.describe(3000, this.capability() ?? '');
            if (r.node.httpAddress) this.#nodes.set(n.id, { grpc: n.address, http: r.node.httpAddress });
          } catch {
            // unreachable right now: its files stay unrewritten until the next view
          } finally {
            c.close();
          }
        }),
    );
  }

  rewrite(html: string): string {
    let out = html;
    for (const [id, n] of this.#nodes) out = out.replaceAll(`http://${n.http}/files/`, `/node-files/${encodeURIComponent(id)}/`);
    return out;
  }

  /** The node URL behind `/node-files/<node>/<rest>`, or undefined for an unknown node. */
  target(nodeId: string, rest: string): string | undefined {
    const n = this.#nodes.get(nodeId);
    return n === undefined ? undefined : `http://${n.http}/files/${rest}`;
  }
}
