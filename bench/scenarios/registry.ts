/**
 * Scenario 7: registry at scale. N simulated nodes x 20 modules advertise; a client in another
 * process watches. Reported per N: client memory, resolve p99, registry messages/s (should grow
 * linearly with N), time for a join to be visible and for a crash to be noticed (TTL 6 s).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_DIR, REPO } from '../procs.ts';
import type { Plan, Row } from './plan.ts';

type Line = Record<string, number | string>;

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

export async function run(plan: Plan, natsUrl: string, log: (s: string) => void): Promise<Row[]> {
  const sizes = plan.smoke ? [20] : [100, 300, 1000];
  const rows: Row[] = [];
  for (const n of sizes) {
    log(`  7-registry: ${n} nodes x 20 modules`);
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
        const one = (name: string, unit: string, v: number, note?: string): Row => ({
          scenario: '7-registry',
          name: `${n} nodes: ${name}`,
          unit,
          median: v,
          min: v,
          max: v,
          runs: [v],
          ...(note ? { note } : {}),
        });
        rows.push(
          one('client memory for the registry', 'MB', Number(r.memoryMb)),
          one('resolve a name, p99', 'µs', Number(r.resolveP99Us)),
          one('registry messages a watcher receives', 'messages/s', Number(r.messagesPerSecond)),
          one('join visible after', 'ms', Number(seen.at) - Number(joined.at)),
          one(
            'crash noticed after',
            'ms',
            Number(gone.at) - Number(killed.at),
            // Timed from the kill; the node's last heartbeat was up to TTL/3 earlier.
            'TTL 6,000 ms, heartbeat every 2,000 ms',
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
  }
  return rows;
}
