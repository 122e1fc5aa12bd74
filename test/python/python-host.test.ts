import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connect, generateMeshKeys, mintCapability, type Mesh } from '@insights/client';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude, type KvEntry } from '@nats-io/kv';
import { connect as natsConnect } from '@nats-io/transport-node';
import { writeNodeCredentials } from '@insights/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { natsEnv, NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { REPO_ROOT, tempDir } from '../support/tmp.ts';
import { NO_VENV, VENV_PYTHON } from './venv.ts';

const FIXTURES = path.join(REPO_ROOT, 'test', 'python', 'fixtures');

interface PythonHost {
  proc: ChildProcess;
  grpc: string;
  stop(): Promise<void>;
}

/** Starts `python -m insights_mesh.host` and waits for its ready line. */
async function startPythonHost(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PythonHost> {
  const proc = spawn(VENV_PYTHON, ['-m', 'insights_mesh.host', path.join(FIXTURES, 'pystats', 'analytics.py'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<{ grpc: string }>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (l.includes('"ready"')) resolve(JSON.parse(l) as { grpc: string });
    });
    proc.on('exit', (code) => reject(new Error(`python host exited with ${code}:\n${stderr}`)));
  });
  return {
    proc,
    grpc: ready.grpc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

describe.skipIf(NO_NATS || NO_VENV)('python - analytics written in Python join the mesh', () => {
  const keys = generateMeshKeys();
  let nats: NatsServer;
  let open: PythonHost;
  let secured: PythonHost;
  let node: NodeProcess;
  let mesh: Mesh;
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    tmp = await tempDir('insights-pyhost-');
    // NATS with a user per role: the Python host advertises as a node user (NATS_NKEY_SEED).
    nats = await startNatsServer();
    const keyFile = path.join(tmp.dir, 'mesh.pub');
    await writeFile(keyFile, keys.publicKeyPem);
    [open, secured, node] = await Promise.all([
      startPythonHost(['--nats', nats.url, '--id', 'py-open', '--ttl', '3000'], natsEnv(nats, 'node')),
      startPythonHost(['--trusted-key', keyFile, '--require-capability']),
      spawnNode(
        ['--id', 'ts', '--nats', nats.url, '--isolation', 'inline', '-m', path.join(FIXTURES, 'uses-python')],
        natsEnv(nats, 'node'),
      ),
    ]);
    mesh = await connect({ nats: nats.as('client') });
    for (let i = 0; i < 100 && !Object.keys(mesh.query).includes('scaled_mean'); i++)
      await new Promise((r) => setTimeout(r, 100));
  }, 90_000);

  afterAll(async () => {
    await mesh?.close();
    await Promise.all([open?.stop(), secured?.stop(), node?.stop()]);
    await nats?.stop();
    await tmp?.remove();
  });

  it('the Python host advertises in the registry; clients call it by name, with its schema and errors', async () => {
    const d = await mesh.describe();
    const mean = d.analytics.find((a) => a.name === 'mean');
    expect(mean).toMatchObject({ module: 'pystats', nodes: ['py-open'], description: 'Mean of the values, times scale.' });
    expect(mean?.params).toMatchObject({
      properties: { values: { type: 'array' }, scale: { type: 'number', default: 1 } },
      required: ['values'],
    });
    expect(await mesh.query.mean!({ values: [1, 2, 3] })).toBe(2);
    await expect(mesh.query.mean!({ values: [1], bogus: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      parameter: 'bogus',
    });
    await expect(mesh.query.fail!()).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('always fails'),
    });
  });

  it('a TypeScript module calls the Python analytic through ctx.mesh', async () => {
    expect(await mesh.query.scaled_mean!({ values: [1, 2, 3, 6] })).toEqual({ mean: 30 });
  });

  it('the CLI calls it like any analytic', async () => {
    const r = await runCli(
      ['call', 'query.pystats.mean', '--args', '{"values":[4,8]}', '--nats', nats.url],
      natsEnv(nats, 'client'),
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toBe(6);
  });

  it('a host given the mesh public key enforces capabilities', async () => {
    const mint = (privateKeyPem: string) =>
      mintCapability({
        privateKeyPem,
        layers: [{ policy: { default: 'deny', rules: [{ match: 'pystats.mean', effect: 'allow' }] }, context: {} }],
        ttlSeconds: 600,
      });
    const call = (name: string, capability?: string) =>
      runCli([
        'call',
        `query.pystats.${name}`,
        '--args',
        name === 'mean' ? '{"values":[1,3]}' : '{}',
        '--node',
        secured.grpc,
        ...(capability === undefined ? [] : ['--capability', capability]),
      ]);
    const allowed = await call('mean', mint(keys.privateKeyPem));
    expect(allowed.stderr).toBe('');
    expect(JSON.parse(allowed.stdout)).toBe(2);
    expect((await call('fail', mint(keys.privateKeyPem))).stderr).toMatch(/PERMISSION_DENIED: query pystats.fail is not allowed/);
    // Without a capability, or with one signed by another key, the host lets nothing through.
    expect((await call('mean')).stderr).toMatch(/NOT_FOUND|PERMISSION_DENIED/);
    const direct = await connect({ nodes: [secured.grpc], capability: mint(generateMeshKeys().privateKeyPem) });
    await expect(direct.raw('query', 'pystats.mean', { values: [1] })).rejects.toMatchObject({
      code: expect.stringMatching(/NOT_FOUND|PERMISSION_DENIED/),
    });
    await direct.close();
  }, 90_000);

  it('a host with a node identity signs its registry entries and proves its key: a client that trusts the mesh key calls it', async () => {
    const dir = path.join(tmp.dir, 'py-signed');
    writeNodeCredentials({ meshPrivateKeyPem: keys.privateKeyPem, nodeId: 'py-signed', meshId: 'prod', dir });
    const signed = await startPythonHost(
      [
        '--nats',
        nats.url,
        '--id',
        'py-signed',
        '--ttl',
        '3000',
        '--identity-dir',
        dir,
        '--trusted-key',
        path.join(tmp.dir, 'mesh.pub'),
      ],
      natsEnv(nats, 'node'),
    );
    const trusting = await connect({ nats: nats.as('client'), trustedKeys: [keys.publicKeyPem], meshId: 'prod' });
    try {
      const capability = mintCapability({
        privateKeyPem: keys.privateKeyPem,
        layers: [{ policy: { default: 'allow', rules: [] }, context: {} }],
        ttlSeconds: 600,
      });
      const asTrusting = trusting.withCapability(capability);
      await expect
        .poll(() => asTrusting.query['pystats.mean']?.({ values: [2, 4] }).catch((e: Error) => e.message), { timeout: 15_000 })
        .toBe(3);
      // The unsigned host on the same registry is not believed by this client.
      expect((await trusting.describe()).nodes.map((n) => n.id)).toEqual(['py-signed']);
      // A certificate made for another id is refused at start, naming what to do.
      const wrong = path.join(tmp.dir, 'py-other');
      writeNodeCredentials({ meshPrivateKeyPem: keys.privateKeyPem, nodeId: 'py-other', dir: wrong });
      await expect(startPythonHost(['--id', 'py-mismatch', '--identity-dir', wrong])).rejects.toThrow(
        /certificate is for node py-other, not py-mismatch/,
      );
    } finally {
      await trusting.close();
      await signed.stop();
    }
  }, 60_000);

  it('a host killed with SIGKILL leaves the registry by the server: its heartbeat carries a TTL, and the removal marker reaches a watch', async () => {
    const killed = await startPythonHost(['--nats', nats.url, '--id', 'py-killed', '--ttl', '2000'], natsEnv(nats, 'node'));
    const admin = await natsConnect(nats.connectOptions('admin'));
    try {
      const kv = await new Kvm(admin).open('insights-registry');
      const jsm = await jetstreamManager(admin);
      const last = (key: string) =>
        jsm.streams.getMessage('KV_insights-registry', { last_by_subj: `$KV.insights-registry.${key}` });
      const beat = await last('alive.py-killed');
      expect(beat?.header.get('Nats-TTL')).toBe('2s');
      expect(beat?.json()).toMatchObject({ serverTtl: true });
      expect((await last('node.py-killed'))?.header.get('Nats-TTL')).toBe('1800s'); // AD_TTL_MS, renewed every 10 min
      const entries: KvEntry[] = [];
      const watch = await kv.watch({ key: 'alive.py-killed', include: KvWatchInclude.UpdatesOnly });
      void (async () => {
        for await (const e of watch) entries.push(e);
      })();
      killed.proc.kill('SIGKILL');
      // The server writes the removal marker once the last beat's 2 s run out: no watcher's timer.
      await expect.poll(() => entries.some((e) => e.operation === 'PURGE'), { timeout: 15_000, interval: 100 }).toBe(true);
      watch.stop();
      const left = await kv.get('alive.py-killed');
      expect(left === null || left.operation === 'PURGE').toBe(true);
    } finally {
      if (killed.proc.exitCode === null && killed.proc.signalCode === null) await killed.stop();
      await admin.close();
    }
  }, 60_000);

  it('a host that stops withdraws from the registry at once', async () => {
    await open.stop();
    for (let i = 0; i < 50 && Object.keys(mesh.query).includes('pystats.mean'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(Object.keys(mesh.query)).not.toContain('pystats.mean');
  });
});
