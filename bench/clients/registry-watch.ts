/**
 * A client watching a big registry: memory after the first snapshot, name resolution p99,
 * registry messages per second, and when a joining node appears / the silenced nodes disappear
 * (sim-0..4 by the server's removal marker, sim-5..9 by the watcher's timer: see servers/fleet.ts).
 */
import { RegistryWatcher, openRegistryBucket, type NodeView } from '@insights/registry';
import { NameIndex } from '@insights/sdk/internal';
import { connect } from '@nats-io/transport-node';
import { KvWatchInclude } from '@nats-io/kv';
import { parseArgs } from 'node:util';
import { percentile } from '../stats.ts';

const { values: o } = parseArgs({ options: { nats: { type: 'string' }, n: { type: 'string' } } });
const n = Number(o.n);
const nc = await connect({ servers: o.nats });
// Collect the start-up garbage first, or it is counted against the registry (even below zero).
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let nodes: NodeView[] = [];
const events: Record<string, number> = {};
const serverTtlVictims = ['sim-0', 'sim-1', 'sim-2', 'sim-3', 'sim-4'];
const timerVictims = ['sim-5', 'sim-6', 'sim-7', 'sim-8', 'sim-9'];
/** When each victim left the view. */
const gone = new Map<string, number>();
let markers = 0;
const watcher = await RegistryWatcher.start(nc, {
  onChange: (v) => {
    nodes = v;
    if (events.joined === undefined && v.some((x) => x.id === 'joiner-0')) events.joined = Date.now();
    if (events.joined === undefined) return;
    for (const id of [...serverTtlVictims, ...timerVictims])
      if (!gone.has(id) && !v.some((x) => x.id === id)) gone.set(id, Date.now());
  },
  // The server's removal markers of the victims' heartbeats: what server-side TTL costs a watcher.
  onEntry: (e) => {
    if (e.operation === 'PURGE' && e.key.startsWith('alive.sim-')) markers++;
  },
});
while (watcher.nodes().length < n) await new Promise((r) => setTimeout(r, 50));
nodes = watcher.nodes();
globalThis.gc?.();
const memoryMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

// Resolve names as the client's router does.
const index = new NameIndex(
  nodes.flatMap((v) =>
    v.modules.flatMap((m) =>
      m.analytics.map((a) => ({ kind: a.kind, module: m.name, name: a.name, aliases: a.aliases, target: v.id })),
    ),
  ),
);
const names = index.names('query');
const samples: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const name = names[(i * 7919) % names.length] as string;
  const t = process.hrtime.bigint();
  index.resolve('query', name);
  samples.push(Number(process.hrtime.bigint() - t) / 1000);
}
samples.sort((a, b) => a - b);

// Registry traffic a watcher receives.
const kv = await openRegistryBucket(nc);
let messages = 0;
const it = await kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
const from = Date.now();
void (async () => {
  for await (const _ of it) messages++;
})();
await new Promise((r) => setTimeout(r, 4000));
it.stop();
// Divide by the time that really passed: a timer fires late when the process is busy.
const messagesPerSecond = messages / ((Date.now() - from) / 1000);
process.stdout.write(
  `${JSON.stringify({ event: 'ready', nodes: nodes.length, memoryMb, resolveP99Us: percentile(samples, 99), messagesPerSecond })}\n`,
);

// Join and kill timing: the orchestrator drives the fleet and reads these.
const wait = async (k: string, ms: number) => {
  const stop = Date.now() + ms;
  while (events[k] === undefined && Date.now() < stop) await new Promise((r) => setTimeout(r, 10));
};
await wait('joined', 30_000);
process.stdout.write(`${JSON.stringify({ event: 'join-seen', at: events.joined })}\n`);
for (const stop = Date.now() + 30_000; gone.size < 10 && Date.now() < stop;) await new Promise((r) => setTimeout(r, 10));
const at = (ids: string[]) => ids.map((id) => gone.get(id) ?? Number.NaN);
process.stdout.write(
  `${JSON.stringify({ event: 'kill-seen', serverTtl: at(serverTtlVictims), timer: at(timerVictims), markers })}\n`,
);
watcher.close();
await nc.close();
