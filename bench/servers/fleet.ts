/**
 * Registry at scale: N simulated nodes x 20 modules advertising over a few NATS connections.
 * Reads commands on stdin: `join` adds one node, `kill` silences one (no withdraw, as a crash).
 */
import { Advertiser, type NodeView } from '@insights/registry';
import { connect } from '@nats-io/transport-node';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: { nats: { type: 'string' }, n: { type: 'string' }, ttl: { type: 'string', default: '6000' } },
});
const n = Number(o.n);
const ttlMs = Number(o.ttl);
const conns = await Promise.all(Array.from({ length: Math.min(10, n) }, () => connect({ servers: o.nats })));

const view = (id: string): NodeView => ({
  id,
  labels: ['sim'],
  version: '0',
  grpcAddress: `127.0.0.1:${10000 + Number(id.split('-')[1] ?? 0)}`,
  httpAddress: '',
  state: 'serving',
  modules: Array.from({ length: 20 }, (_, m) => ({
    name: `mod${m}`,
    version: '1',
    description: '',
    state: 'ready',
    lastError: '',
    isolation: 'process',
    analytics: ['a', 'b', 'c'].map((a) => ({
      kind: 'query' as const,
      name: `${a}${m}_${id}`,
      aliases: [],
      description: '',
      params: { type: 'object' },
      idempotent: true,
      meta: {},
    })),
  })),
});

const fleet = new Map<string, Advertiser>();
// The node `kill` silences gets a connection of its own: closing it stops its heartbeats, like a crash.
const victimConn = await connect({ servers: o.nats });
const add = async (id: string, i: number) => {
  const a = new Advertiser(id === 'sim-0' ? victimConn : conns[i % conns.length]!, view(id), { ttlMs, onError: () => {} });
  await a.start();
  fleet.set(id, a);
};
for (let i = 0; i < n; i += 50)
  await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => add(`sim-${i + k}`, i + k)));
process.stdout.write(`${JSON.stringify({ event: 'ready', nodes: fleet.size })}\n`);

createInterface({ input: process.stdin }).on('line', (cmd) => {
  void (async () => {
    if (cmd === 'join') {
      const t = Date.now();
      await add('joiner-0', 0);
      process.stdout.write(`${JSON.stringify({ event: 'joined', at: t })}\n`);
    } else if (cmd === 'kill') {
      await victimConn.close();
      process.stdout.write(`${JSON.stringify({ event: 'killed', at: Date.now() })}\n`);
    } else if (cmd === 'exit') {
      process.exit(0);
    }
  })();
});
