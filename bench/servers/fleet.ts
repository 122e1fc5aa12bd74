/**
 * Registry at scale: N simulated nodes x 20 modules advertising over a few NATS connections.
 * Reads commands on stdin: `join` adds one node, `kill` silences the victims (no withdraw, as a
 * crash): sim-0..4 write heartbeats with a server-side TTL (what nodes do now), sim-5..9 without
 * (an older node or server, timed by the watchers), so one kill times both.
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
/** sim-0 .. sim-9; the first half with server-side TTL. */
const VICTIMS = 10;
// The nodes `kill` silences get a connection of their own: closing it stops their heartbeats, like a crash.
const victimConn = await connect({ servers: o.nats });
const add = async (id: string, i: number) => {
  const victim = id.startsWith('sim-') && i < VICTIMS;
  const a = new Advertiser(victim ? victimConn : conns[i % conns.length]!, view(id), {
    ttlMs,
    onError: () => {},
    serverTtl: !victim || i < VICTIMS / 2,
  });
  await a.start();
  fleet.set(id, a);
};
// Victims in pairs (one of each kind) spread over a heartbeat interval, so one kill samples five phases.
for (let k = 0; k < VICTIMS / 2; k++) {
  await Promise.all([add(`sim-${k}`, k), add(`sim-${k + VICTIMS / 2}`, k + VICTIMS / 2)]);
  await new Promise((r) => setTimeout(r, ttlMs / 3 / (VICTIMS / 2)));
}
for (let i = VICTIMS; i < n; i += 50)
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
