import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateMeshKeys, mintCapability } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { natsEnv, NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, REPO_ROOT, SHIPPED_MODULES } from '../support/tmp.ts';
import { NO_VENV, VENV_PYTHON } from './venv.ts';

const GRADEBOOK = path.join(REPO_ROOT, 'test', 'python', 'fixtures', 'gradebook');

/** Runs the venv's Python with the mesh's addresses in the environment; never blocks this event loop. */
function python(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(VENV_PYTHON, args, { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    proc.on('exit', (code) => resolve({ code, output }));
  });
}

describe.skipIf(NO_NATS || NO_VENV)('python - the Python client against real nodes', () => {
  const keys = generateMeshKeys();
  let nats: NatsServer;
  const nodes: NodeProcess[] = [];
  let secured: TestNode;

  beforeAll(async () => {
    // NATS with a user per role, as every deployment runs it: the Python client reads the client's seed.
    nats = await startNatsServer();
    const node = (id: string, modules: string[]) =>
      spawnNode(
        ['--id', id, '--nats', nats.url, '--isolation', 'inline', '--ttl', '3000', ...modules.flatMap((m) => ['-m', m])],
        natsEnv(nats, 'node'),
      );
    nodes.push(
      ...(await Promise.all([
        node('alpha', [
          path.join(SHIPPED_MODULES, 'examples'),
          path.join(SHIPPED_MODULES, 'testmodule'),
          path.join(FIXTURE_MODULES, 'slow'),
          GRADEBOOK,
        ]),
        node('beta', [path.join(SHIPPED_MODULES, 'examples'), path.join(FIXTURE_MODULES, 'clash')]),
        node('victim', [path.join(SHIPPED_MODULES, 'examples')]),
      ])),
    );
    secured = await startTestNode({
      defaultIsolation: 'inline',
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: ['ingest-token-for-tests-0001'] },
      modules: [path.join(FIXTURE_MODULES, 'echo')],
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await secured?.stop();
    await nats?.stop();
  });

  it('the notebook in docs/ runs top to bottom against the mesh (connect, list, call, plot, export CSV)', async () => {
    const executed = path.join(tmpdir(), `python-client-${process.pid}.ipynb`);
    const { code, output } = await python(
      ['-m', 'insights_mesh.run_notebook', path.join(REPO_ROOT, 'docs', 'python-client.ipynb'), executed],
      { NATS_URL: nats.url, INSIGHTS_NODES: '', ...natsEnv(nats, 'client') },
    );
    if (code !== 0) console.error(output);
    expect(code).toBe(0);
    const nb = JSON.parse(await readFile(executed, 'utf8')) as {
      cells: { outputs?: { text?: string[]; data?: Record<string, unknown> }[] }[];
    };
    await rm(executed, { force: true });
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.some((o) => (o.text ?? []).join('').includes('grades.csv 300 rows'))).toBe(true);
    expect(outputs.some((o) => o.data?.['image/png'] !== undefined)).toBe(true); // the histogram
    expect(outputs.some((o) => (o.text ?? []).join('').startsWith('INVALID_ARGUMENT learners'))).toBe(true);
  }, 120_000);

  it('pytest passes: discovery, names, deadlines, failover, capabilities, DataFrames, ingest', async () => {
    const restricted = mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [
        {
          policy: { default: 'deny', rules: [{ match: 'course_report', effect: 'allow', lock: { course: 'course' } }] },
          context: { course: 'C1' },
        },
      ],
      ttlSeconds: 600,
      subject: 'pytest',
    });
    const { code, output } = await python(['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'python/tests'], {
      INSIGHTS_TEST_NATS: nats.url,
      ...natsEnv(nats, 'client'),
      INSIGHTS_TEST_NODE_NKEY_SEED: natsEnv(nats, 'node').NATS_NKEY_SEED ?? '',
      INSIGHTS_TEST_NODES: nodes.map((n) => `${n.ready.id}=${n.ready.grpc}`).join(','),
      INSIGHTS_TEST_VICTIM_PID: String(nodes[2]!.proc.pid),
      INSIGHTS_TEST_SECURED: secured.grpcAddress,
      INSIGHTS_TEST_CAPABILITY: restricted,
      INSIGHTS_TEST_CLI: CLI,
      INSIGHTS_TEST_ECHO_MODULE: path.join(FIXTURE_MODULES, 'echo'),
    });
    if (code !== 0) console.error(output);
    // pytest's closing line, e.g. "18 passed in 9.81s": nothing failed, errored or was skipped.
    expect(output).toMatch(/^\d+ passed in [\d.]+s/m);
    expect(code).toBe(0);
  }, 120_000);
});
