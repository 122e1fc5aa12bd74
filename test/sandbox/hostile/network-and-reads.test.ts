import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../../support/nats.ts';
import { startTestNode, type TestNode } from '../../support/test-node.ts';
import { hostile, query, sandboxHost, whileProbingGood } from '../support.ts';
import { describeKernel, snapshot } from './kernel.ts';

/** A module that wants out: network, host files, other modules' files, the node's process. */
describeKernel('hostile - network and reads (kernel sandbox)', () => {
  let node: TestNode;
  let mesh: Mesh;
  let nats: NatsServer | undefined;
  let dataDir: string;
  let configFile: string;
  beforeAll(async () => {
    if (!NO_NATS) nats = await startNatsServer();
    node = await startTestNode({
      modules: [hostile('good'), hostile('net-escape'), hostile('kernel-snoop')],
      sandbox: { require: true },
    });
    mesh = await connect({ nodes: [node.grpcAddress] });
    const { cwd } = (await query(node, 'good.whereami')) as { cwd: string };
    dataDir = path.dirname(path.dirname(cwd));
    // Stands for the node's config file: a host file holding secrets, outside every module folder.
    configFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}-node.json`);
    await writeFile(configFile, JSON.stringify({ admin: { tokens: ['secret-admin-token-0123'] } }));
  }, 60_000); // starting several sandboxes on a busy machine
  afterAll(async () => {
    await mesh?.close();
    await node?.stop();
    await nats?.stop();
  });

  it('hostile - Describe and /readyz report kernel mode with the limits in force', async () => {
    expect(sandboxHost(node, 'net-escape').status().sandbox?.mode).toBe('kernel');
    const base = node.httpAddress.startsWith('http') ? node.httpAddress : `http://${node.httpAddress}`;
    const schema = (await (await fetch(`${base}/schema`)).json()) as {
      node: { sandbox: string };
      modules: { name: string; sandbox: string; sandboxLimitsJson: string }[];
    };
    expect(schema.node.sandbox).toBe('kernel');
    const described = schema.modules.find((m) => m.name === 'net-escape');
    expect(described?.sandbox).toBe('kernel');
    expect(JSON.parse(described?.sandboxLimitsJson ?? '{}')).toMatchObject({
      network: 'none (loopback only)',
      maxOpenFiles: 1024,
      diskQuotaMb: 1024,
    });
    const ready = (await (await fetch(`${base}/readyz`)).json()) as {
      sandbox: { mode: string; modules: Record<string, unknown> };
    };
    expect(ready.sandbox.mode).toBe('kernel');
    expect(ready.sandbox.modules['net-escape']).toMatchObject({ mode: 'kernel', limits: { maxOpenFiles: 1024 } });
  });

  it('hostile - network: only a loopback, and no host port is reachable (NATS, the node gRPC and HTTP)', async () => {
    expect(await query(node, 'net-escape.interfaces')).toEqual(['lo']);
    const ports = [node.grpcAddress, node.httpAddress].map((a) => Number(a.split(':').pop()));
    if (nats !== undefined) ports.push(nats.port);
    await whileProbingGood(mesh, 'connects to host ports', async () => {
      for (const port of ports) expect(await query(node, 'net-escape.connect', { port }), `port ${port}`).toBe('ECONNREFUSED');
    });
  });

  it('hostile - reads, signals and spawns fail closed; nothing outside its folder changes', async () => {
    await query(node, 'good.write_file', { name: 'secret.txt', text: 's3cret' });
    const before = await snapshot(dataDir, [path.join(dataDir, 'modules', 'kernel-snoop'), path.join(dataDir, 'db')]);
    const report = (await whileProbingGood(mesh, 'snooping', () =>
      query(node, 'kernel-snoop.escape', {
        configFile,
        otherModuleFile: path.join(dataDir, 'modules', 'good', 'files', 'secret.txt'),
        nodePid: process.pid,
      }),
    )) as Record<string, unknown>;
    console.log(`[hostile reads] ${JSON.stringify(report)}`);
    // The permission model refuses first (ERR_ACCESS_DENIED); the kernel layer holds on its own
    // too (kernel-command.test.ts runs the same attacks without the permission model).
    for (const k of ['etcPasswd', 'initEnviron', 'configFile', 'otherModuleFile', 'killNode', 'spawn'])
      expect(report[k], k).not.toBe('ok');
    // Only what the node passes on (sandboxEnv) and bwrap's PWD: none of the node's variables.
    expect((report.env as string[]).filter((k) => !['NODE_ENV', 'TZ', 'LANG', 'LC_ALL', 'PWD'].includes(k))).toEqual([]);
    expect(await query(node, 'good.ping')).toBe('pong');
    expect(await snapshot(dataDir, [path.join(dataDir, 'modules', 'kernel-snoop'), path.join(dataDir, 'db')])).toEqual(before);
  });
});
