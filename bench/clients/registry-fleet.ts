/**
 * Registry traffic with the nodes' own wiring: N simulated nodes x 20 modules, each running what
 * a real node runs towards the registry (startAdvertising: its advertiser and its one registry
 * watch; startNestedCallClient: the nested-call client that watch feeds), over a few NATS
 * connections. With --eager every node follows the whole registry from the start, as every node
 * did before watching on demand. Commands on stdin: `measure <ms>` reports the registry entries
 * all nodes' watches received per second over that time; `exit` withdraws every node and exits.
 */
import { parseNodeConfig } from '@insights/node';
import type { DescribeLike } from '@insights/registry';
import { createLogger, type Dispatcher } from '@insights/runtime';
import { connect } from '@nats-io/transport-node';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
// The node's own registry wiring, not an imitation of it (the package does not export these).
import { startAdvertising, type Advertising } from '../../packages/node/src/advertising.ts';
import { startNestedCallClient, type NestedCalls } from '../../packages/node/src/nested-calls.ts';
import type { NatsLink } from '../../packages/node/src/nats-link.ts';

const { values: o } = parseArgs({
  options: {
    nats: { type: 'string' },
    n: { type: 'string' },
    ttl: { type: 'string', default: '6000' },
    eager: { type: 'boolean', default: false },
  },
});
const n = Number(o.n);
const ttlMs = Number(o.ttl);
const conns = await Promise.all(Array.from({ length: Math.min(10, n) }, () => connect({ servers: o.nats })));
const quiet = createLogger(() => {});
// Nested calls are wired but none is made: the fallback is never called.
const dispatcher = { setFallback: () => {} } as unknown as Dispatcher;

const describe = (id: string, i: number): DescribeLike => ({
  node: { id, labels: ['sim'], version: '0', grpcAddress: `127.0.0.1:${10000 + i}`, httpAddress: '', state: 'serving' },
  modules: Array.from({ length: 20 }, (_, m) => ({
    name: `mod${m}`,
    version: '1',
    description: '',
    state: 'ready',
    lastError: '',
    isolation: 'process',
    analytics: ['a', 'b', 'c'].map((a) => ({
      kind: 1,
      name: `${a}${m}_${id}`,
      aliases: [],
      description: '',
      paramsSchemaJson: '{"type":"object"}',
      idempotent: true,
      metaJson: '{}',
    })),
  })),
});

const fleet: { advertising: Advertising; nested: NestedCalls }[] = [];
const prefix = o.eager ? 'eager' : 'sim';
const add = async (i: number) => {
  const id = `${prefix}-${i}`;
  const nc = conns[i % conns.length]!;
  const link: NatsLink = { connected: Promise.resolve(nc), configured: true, isConnected: () => true, close: async () => {} };
  const config = parseNodeConfig({ id, nats: o.nats, registry: { ttlMs } });
  const advertising = startAdvertising(config, link, () => describe(id, i), quiet, undefined, {
    trustedKeys: [],
    eager: o.eager,
  });
  const nested = startNestedCallClient(config, dispatcher, quiet, [], undefined, undefined, advertising);
  await advertising.watching;
  fleet.push({ advertising, nested });
};
const t0 = Date.now();
for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => add(i + k)));
process.stdout.write(`${JSON.stringify({ event: 'ready', nodes: fleet.length, startMs: Date.now() - t0 })}\n`);

const received = () => fleet.reduce((sum, f) => sum + (f.advertising.watch?.received ?? 0), 0);
createInterface({ input: process.stdin }).on('line', (line) => {
  void (async () => {
    const [cmd, arg] = line.split(' ');
    if (cmd === 'measure') {
      const from = Date.now();
      const before = received();
      await new Promise((r) => setTimeout(r, Number(arg)));
      // Divide by the time that really passed: a timer fires late when the process is busy.
      const perSecond = (received() - before) / ((Date.now() - from) / 1000);
      const memoryMb = process.memoryUsage().rss / 2 ** 20;
      process.stdout.write(`${JSON.stringify({ event: 'traffic', perSecond, perNode: perSecond / fleet.length, memoryMb })}\n`);
    } else if (cmd === 'exit') {
      // Withdrawn, so the next fleet's watches do not read these nodes.
      await Promise.all(fleet.map((f) => f.advertising.withdraw()));
      process.exit(0);
    }
  })();
});
