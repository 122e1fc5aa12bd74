import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { generateMeshKeys } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../support/cli-process.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { REPO_ROOT, tempDir } from '../support/tmp.ts';
import { COURSES_MODULE } from './harness.ts';

/** `insights dashboard` as a real process: ready line, JSON catalog, and an embed URL from `insights dashboard embed`. */
describe('cli - insights dashboard', () => {
  const keys = generateMeshKeys();
  let node: TestNode;
  let tmp: { dir: string; remove(): Promise<void> };
  let proc: ChildProcess | undefined;
  let config: string;

  beforeAll(async () => {
    tmp = await tempDir('insights-dashboard-cli-');
    node = await startTestNode({
      defaultIsolation: 'inline',
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: ['ingest-token-for-tests-0001'] }, // required capabilities need ingest tokens
      modules: [COURSES_MODULE],
    });
    await writeFile(path.join(tmp.dir, 'mesh.key'), keys.privateKeyPem, { mode: 0o600 });
    config = path.join(tmp.dir, 'dashboard.json');
    await writeFile(
      config,
      JSON.stringify({
        port: 0,
        mesh: { nodes: [node.grpcAddress] },
        signingKey: 'mesh.key', // relative to the config file
        auth: { kind: 'none', role: 'viewer' },
        roles: { viewer: { policy: { default: 'allow', rules: [{ match: 'courses.courses', effect: 'deny' }] } } },
      }),
    );
  });

  afterAll(async () => {
    if (proc !== undefined && proc.exitCode === null) await new Promise((r) => (proc!.once('exit', r), proc!.kill('SIGTERM')));
    await node.stop();
    await tmp.remove();
  });

  it('serves the mesh with the configured role, and embed URLs minted offline work', async () => {
    proc = spawn(process.execPath, [CLI, 'dashboard', '--config', config], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await new Promise<{ url: string }>((resolve, reject) => {
      createInterface({ input: proc!.stdout! }).on('line', (line) => {
        if (line.startsWith('{"event":"ready"')) resolve(JSON.parse(line) as { url: string });
      });
      proc!.once('exit', (code) => reject(new Error(`insights dashboard exited with ${code}: ${stderr}`)));
    });
    const catalog = (await (await fetch(`${ready.url}/api/catalog`)).json()) as {
      modules: { name: string; analytics: { name: string }[] }[];
    };
    expect(catalog.modules.map((m) => [m.name, m.analytics.map((a) => a.name)])).toEqual([
      ['courses', ['item_means', 'item_chart', 'roster']],
    ]);

    const minted = await runCli([
      'dashboard',
      'embed',
      '--config',
      config,
      '--view',
      'courses.roster',
      '--role',
      'viewer',
      '--args',
      '{"course":"C2","size":3}',
      '--ttl',
      '60',
    ]);
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim().split('/embed/')[1];
    const res = await fetch(`${ready.url}/embed/${token}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<caption>Learners of C2</caption>');
    expect(body.match(/<tr><td>/g)).toHaveLength(3);
  });
});
