/**
 * `npm run demo`: a small mesh on this machine. A NATS server, three nodes named for the
 * subsystems of a learning platform (lms, forums, wiki) hosting different modules, one module
 * replicated on two nodes; it prints where to look and what to type, and stops on Ctrl-C.
 * NATS runs with a user per role and per node (no anonymous access), and every node has a key
 * certified by a fresh mesh key, as `insights keys` makes them for a real mesh.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { NodeConnection } from '@insights/client';
import { readTrackingLog } from '@insights/module-edx/lib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { natsServerAvailable, startNatsServer, type NatsServer } from '@insights/registry/nats-server';
import { createMeshNatsAuth, type NatsSettings } from '@insights/registry';
import { generateMeshKeys } from '@insights/client';
import { writeNodeCredentials } from '@insights/node';
import { DEFAULT_PORT, parseDashboardConfig, startDashboard, type RunningDashboard } from '@insights/dashboard';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'bin', 'insights.js');
const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;

interface Ready {
  id: string;
  grpc: string;
  http: string;
}

const ANALYTICS = [
  'weekly-activity',
  'video-engagement',
  'answer-distribution',
  'grade-distribution',
  'time-on-task',
  'enrollment',
  'irt',
];
const NODES: { id: string; label: string; modules: string[] }[] = [
  { id: 'lms', label: 'lms', modules: ['modules/edx', 'modules/examples', ...ANALYTICS.map((m) => `modules/${m}`)] },
  { id: 'forums', label: 'forums', modules: ['modules/edx', 'modules/testmodule'] },
  { id: 'wiki', label: 'wiki', modules: ['modules/examples'] },
];
const REAL_LOGS = path.resolve(ROOT, '..', 'shared', 'data', 'edx-tracking');
/** The demo deployment's key for learner ids (edx.to_xapi's actors): one for every node, new each run. */
const LEARNER_ID_KEY = randomBytes(32).toString('hex');
/** Analytics written in Python join the mesh through this host (`npm test` creates .venv). */
const VENV_PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const PY_HOST = { id: 'py-stats', analytics: path.join(ROOT, 'python', 'examples', 'score_stats.py') };

/** Replays the real Open edX tracking logs into the mesh, so the analytics have something to show. */
async function importRealLogs(grpc: string): Promise<string | undefined> {
  if (!existsSync(REAL_LOGS)) return undefined;
  const node = new NodeConnection(grpc);
  let events = 0;
  try {
    for (const f of readdirSync(REAL_LOGS).filter((x) => x.endsWith('.log'))) {
      const batch: unknown[] = [];
      for await (const l of readTrackingLog(path.join(REAL_LOGS, f))) if (l.kind === 'event') batch.push(l.event);
      const r = await node.ingest(batch, { waitForHandlers: true, timeoutMs: 60_000 });
      events += r.accepted;
    }
  } finally {
    node.close();
  }
  return `${events} real Open edX tracking-log events imported from ../shared/data/edx-tracking`;
}

function startNode(
  id: string,
  label: string,
  modules: string[],
  dataDir: string,
  nats?: { url: string; seedFile: string },
): Promise<{ proc: ChildProcess; ready: Ready }> {
  const args = [CLI, 'node', '--id', id, '--label', label, '--grpc', '0', '--http', '0', '--data-dir', path.join(dataDir, id)];
  if (nats) args.push('--nats', nats.url);
  for (const m of modules) args.push('--module', path.join(ROOT, m));
  const env = {
    ...process.env,
    INSIGHTS_LEARNER_ID_KEY: LEARNER_ID_KEY,
    ...(nats ? { NATS_NKEY_SEED_FILE: nats.seedFile } : {}),
  };
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Ready & { event?: string };
        if (msg.event === 'ready') resolve({ proc, ready: msg });
      } catch {
        // not the ready line
      }
    });
    proc.on('exit', (code) => reject(new Error(`node ${id} exited with ${code}:\n${err}`)));
  });
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'insights-demo-'));
  let nats: NatsServer | undefined;
  const auth = createMeshNatsAuth({ nodeIds: [...NODES.map((n) => n.id), PY_HOST.id] });
  const seeds = auth.writeSeedFiles(path.join(dataDir, 'nats-creds'));
  // Each node finds its key and the mesh's certificate in its data folder.
  const meshKeys = generateMeshKeys();
  // The Python host too: it signs its registry entries and proves its key like the nodes.
  for (const n of [...NODES, PY_HOST])
    writeNodeCredentials({
      meshPrivateKeyPem: meshKeys.privateKeyPem,
      nodeId: n.id,
      meshId: 'demo',
      dir: path.join(dataDir, n.id),
    });
  if (natsServerAvailable()) nats = await startNatsServer({ auth });
  else
    console.log(
      'nats-server is not installed, so the demo runs its nodes without a registry (install the nats-server package for the full mesh).',
    );
  console.log(`Starting ${NODES.length} nodes${nats ? ` on NATS ${nats.url}` : ''}...`);
  const nodes = await Promise.all(
    NODES.map((n) =>
      startNode(n.id, n.label, n.modules, dataDir, nats && { url: nats.url, seedFile: seeds[`node:${n.id}`] as string }),
    ),
  );
  const python =
    nats && existsSync(VENV_PYTHON)
      ? await startPythonHost(nats.url, seeds[`node:${PY_HOST.id}`] as string, path.join(dataDir, PY_HOST.id)).catch(
          (e: Error) => {
            console.log(`the Python host did not start (${e.message}); the demo goes on without it`);
            return undefined;
          },
        )
      : undefined;
  const dashboard = await startDemoDashboard(
    nats && auth.settings(nats.url, 'client'),
    nodes.map((n) => n.ready.grpc),
  );
  const imported = await importRealLogs(nodes[0]!.ready.grpc).catch((e: Error) => `log import failed: ${e.message}`);

  const stop = async () => {
    await dashboard.close();
    if (python !== undefined && python.exitCode === null) python.kill('SIGTERM');
    await Promise.all(
      nodes.map(
        ({ proc }) =>
          new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once('exit', () => r()), proc.kill('SIGTERM')))),
      ),
    );
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const meshFlag = nats ? `--nats ${nats.url}` : `--node ${nodes.map((n) => n.ready.grpc).join(',')}`;
  // The CLI reads its NATS credentials from the environment, never from the command line.
  const npx = nats ? `NATS_NKEY_SEED_FILE=${seeds.client} npx` : 'npx';
  console.log(`\n${bold('Insights mesh demo is running.')} Press Ctrl-C to stop.\n`);
  for (const { ready } of nodes)
    console.log(`  node ${ready.id.padEnd(7)} gRPC ${ready.grpc.padEnd(18)} page http://${ready.http}/`);
  console.log(`  dashboard    ${dashboard.url}/   (every analytic of the mesh, live; no login in the demo)`);
  if (python !== undefined) console.log(`  node ${PY_HOST.id} analytics written in Python (python/examples/score_stats.py)`);
  console.log(`\n${bold('Try:')}`);
  console.log(`  ${npx} insights ls ${meshFlag}`);
  console.log(`  ${npx} insights call query.hello_user --user ada ${meshFlag}`);
  console.log(`  ${npx} insights call query.get_grades --learners 5 --csv ${meshFlag}`);
  console.log(`  open http://${nodes[0]!.ready.http}/view/plot_grades?course=demo   (a histogram, rendered by a module)`);
  if (python !== undefined)
    console.log(`  ${npx} insights call query.pystats.summary --args '{"values":[3,5,8,13]}' ${meshFlag}   (answered by Python)`);
  else console.log('  (run npm test once to create .venv, and the demo adds analytics written in Python)');
  if (imported) {
    console.log(`\n${imported}; try:`);
    console.log(`  ${npx} insights call query.weekly_activity --course edX/DemoX/Demo_Course ${meshFlag}`);
    console.log(
      `  ${npx} insights ls ${meshFlag}   (then any analytic of weekly-activity, answer-distribution, grade-distribution, ...)`,
    );
  } else console.log('\n(../shared/data is not here, so no real tracking log was imported.)');
  console.log(`\nThe examples module runs on both lms and wiki: calls are spread over the two, and survive either one stopping.`);
}

/** `python -m insights_mesh.host`, advertised (signed) in the registry as its own node user; resolves once it serves. */
function startPythonHost(natsUrl: string, seedFile: string, identityDir: string): Promise<ChildProcess> {
  const proc = spawn(
    VENV_PYTHON,
    [
      ...['-m', 'insights_mesh.host', PY_HOST.analytics, '--nats', natsUrl, '--id', PY_HOST.id],
      ...['--nkey-seed-file', seedFile, '--identity-dir', identityDir],
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.includes('"ready"')) resolve(proc);
    });
    proc.on('exit', (code) => reject(new Error(`exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`)));
  });
}

/** The web dashboard over the demo mesh: one allow-all role, no login (it listens on loopback only). */
async function startDemoDashboard(nats: NatsSettings | undefined, nodes: string[]): Promise<RunningDashboard> {
  const mesh = nats === undefined ? { nodes } : { nats };
  try {
    return await startDashboard(parseDashboardConfig({ port: DEFAULT_PORT, mesh }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    return startDashboard(parseDashboardConfig({ port: 0, mesh }));
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exit(1);
});
