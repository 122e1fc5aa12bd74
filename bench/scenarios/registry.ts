/**
 * Scenario 7: registry at scale. N simulated nodes x 20 modules advertise; a client in another
 * process watches. Reported per N: client memory, resolve p99, registry messages/s (should grow
 * linearly with N), time for a join to be visible and for a crash to be noticed (TTL 6 s): five
 * nodes whose heartbeats the server expires (its removal marker tells the watcher) and five
 * without (the watcher's own timer), silenced at the same moment.
 * Then the registry traffic of the mesh in all (issue 17): N simulated nodes with the node's own
 * registry wiring (clients/registry-fleet.ts), the messages all their watches receive, plus the
 * client's; and, up to EAGER_MAX_NODES, the same with every node following the whole registry
 * (what every node did before watching on demand: N x (N + clients) grows with the square).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startNatsServer } from '@insights/registry/nats-server';
import { BENCH_DIR, REPO } from '../procs.ts';
import { summarise } from '../stats.ts';
import type { Plan, Row } from './plan.ts';

type Line = Record<string, number | string>;

/** Above this, every node following the whole registry costs more than the machine has (N x N entries, N full views). */
const EAGER_MAX_NODES = 100;
/** How long the traffic of all nodes is counted, ms. */
const MEASURE_MS = 4000;

function proc(script: string, args: string[]) {
  const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(BENCH_DIR, script), ...args], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const waiters: (() => void)[] = [];
  createInterface({ input: p.stdout }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Line);
      for (const w of waiters.splice(0)) w();
    } catch {
      // not ours
    }
  });
  const next = async (event: string, ms = 120_000): Promise<Line> => {
    const stop = Date.now() + ms;
    for (;;) {
      const found = lines.find((l) => l.event === event);
      if (found) return found;
      if (Date.now() > stop || p.exitCode !== null)
        throw new Error(`${script}: no "${event}" line (exit ${p.exitCode}) ${stderr.slice(-600)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { p, next, send: (s: string) => p.stdin.write(`${s}\n`) };
}

const row = (name: string, unit: string, v: number, note?: string): Row => ({
  scenario: '7-registry',
  name,
  unit,
  median: v,
  min: v,
  max: v,
  runs: [v],
  ...(note ? { note } : {}),
});

/**
 * N simulated nodes with the node's registry wiring: the registry entries all of them receive per
 * second. On a NATS server of their own: the fleets before leave a JetStream consumer per watch
 * of theirs on the shared one (a killed process's consumers linger for their inactivity
 * threshold, 5 minutes), and a thousand of those slowed every write there.
 */
async function fleetTraffic(n: number, eager: boolean): Promise<Line> {
  const nats = await startNatsServer({ auth: false });
  const fleet = proc('clients/registry-fleet.ts', ['--nats', nats.url, '--n', String(n), ...(eager ? ['--eager'] : [])]);
  try {
    await fleet.next('ready', 300_000);
    fleet.send(`measure ${MEASURE_MS}`);
    return await fleet.next('traffic');
  } finally {
    fleet.send('exit');
    await new Promise<void>((r) => {
      if (fleet.p.exitCode !== null) return r();
      fleet.p.once('exit', () => r());
      setTimeout(() => (fleet.p.kill(), r()), 30_000).unref();
    });
    await nats.stop();
  }
}

export async function run(plan: Plan, natsUrl: string, log: (s: string) => void): Promise<Row[]> {
  const sizes = plan.smoke ? [20] : [100, 300, 1000];
  const rows: Row[] = [];
  for (const n of sizes) {
    log(`  7-registry: ${n} nodes x 20 modules`);
    let clientMessages: number | undefined;
    const fleet = proc('servers/fleet.ts', ['--nats', natsUrl, '--n', String(n)]);
    // One size failing must not lose the others' figures.
    try {
      await fleet.next('ready');
      const watch = proc('clients/registry-watch.ts', ['--nats', natsUrl, '--n', String(n)]);
      try {
        const r = await watch.next('ready');
        fleet.send('join');
        const joined = await fleet.next('joined');
        const seen = await watch.next('join-seen');
        fleet.send('kill');
        const killed = await fleet.next('killed');
        const gone = await watch.next('kill-seen');
        const one = (name: string, unit: string, v: number, note?: string): Row => row(`${n} nodes: ${name}`, unit, v, note);
        // Timed from the kill; each node's last heartbeat was up to TTL/3 earlier.
        const crash = (name: string, at: unknown, note: string): Row => {
          // A victim not seen gone within the watcher's 30 s comes as null.
          const seen = (at as (number | null)[]).filter((t): t is number => typeof t === 'number');
          const missed = (at as unknown[]).length - seen.length;
          return {
            ...row(`${n} nodes: ${name}`, 'ms', 0, missed === 0 ? note : `${note}; ${missed} never seen gone`),
            ...summarise(seen.map((t) => t - Number(killed.at))),
          };
        };
        clientMessages = Number(r.messagesPerSecond);
        rows.push(
          one('client memory for the registry', 'MB', Number(r.memoryMb)),
          one('resolve a name, p99', 'µs', Number(r.resolveP99Us)),
          one('registry messages a watcher receives', 'messages/s', Number(r.messagesPerSecond)),
          one('join visible after', 'ms', Number(seen.at) - Number(joined.at)),
          crash(
            'crash noticed after',
            gone.serverTtl,
            `server-side TTL: the server's removal marker (${Number(gone.markers)} received for 5 nodes); TTL 6,000 ms, heartbeat every 2,000 ms`,
          ),
          crash(
            'crash noticed after, heartbeat without server-side TTL',
            gone.timer,
            "the watcher's own timer (an older node or nats-server before 2.11); same kill",
          ),
        );
      } finally {
        watch.p.kill();
      }
    } catch (e) {
      log(`    failed: ${(e as Error).message}`);
      rows.push({
        scenario: '7-registry',
        name: `${n} nodes`,
        unit: '-',
        median: 0,
        min: 0,
        max: 0,
        runs: [],
        note: `failed: ${(e as Error).message.slice(0, 200)}`,
      });
    } finally {
      fleet.send('exit');
      fleet.p.kill();
    }
    // The old fleet is killed, not withdrawn: let its nodes expire before the next size reuses their ids.
    await new Promise((r) => setTimeout(r, plan.smoke ? 100 : 7000));
    for (const eager of n <= EAGER_MAX_NODES ? [false, true] : [false]) {
      const how = eager ? 'every node following the whole registry (before)' : 'nodes following their own keys (now)';
      log(`  7-registry: ${n} nodes, registry traffic of all nodes, ${how}`);
      try {
        const t = await fleetTraffic(n, eager);
        // The client's share comes from the watcher above; a size whose watcher failed reports the nodes alone.
        const who = clientMessages === undefined ? 'all nodes receive' : 'all nodes + 1 client receive';
        rows.push(
          row(`${n} nodes: registry messages ${who}, ${how}`, 'messages/s', Number(t.perSecond) + (clientMessages ?? 0)),
          row(
            `${n} nodes: registry messages per node, ${how}`,
            'messages/s',
            Number(t.perNode),
            `fleet RSS ${Math.round(Number(t.memoryMb))} MB`,
          ),
        );
      } catch (e) {
        log(`    failed: ${(e as Error).message}`);
      }
    }
  }
  return rows;
}
