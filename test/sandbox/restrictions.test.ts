import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { hostile, query, sandboxHost, whileProbingGood } from './support.ts';

/** What a process sandbox lets a module do, and what it refuses (Node's permission model + lockdown). */
describe('sandbox - restrictions (process isolation)', () => {
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    node = await startTestNode({ modules: [hostile('good'), hostile('snoop')] });
    mesh = await connect({ nodes: [node.grpcAddress] });
  });
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  it('restrictions - own folder only: no other module files, no /etc/passwd, no spawn, no workers, no signals to the node', async () => {
    await query(node, 'good.write_file', { name: 'secret.txt', text: 's3cret' });
    const { cwd } = (await query(node, 'good.whereami')) as { cwd: string };
    const dataDir = path.dirname(path.dirname(cwd));
    const port = Number(node.httpAddress.split(':').pop());
    const report = await whileProbingGood(mesh, 'escape attempts', () =>
      query(node, 'snoop.escape', {
        otherFile: path.join(cwd, 'files', 'secret.txt'),
        outside: path.join(dataDir, 'planted.txt'),
        port,
      }),
    );
    console.log(`[restrictions] ${JSON.stringify(report)}`);
    const kernel = sandboxHost(node, 'snoop').status().sandbox?.mode === 'kernel';
    expect(report).toEqual({
      ownFile: 'ok',
      ownCwdWrite: 'ok',
      otherModuleFile: 'ERR_ACCESS_DENIED',
      etcPasswd: 'ERR_ACCESS_DENIED',
      writeOutside: 'ERR_ACCESS_DENIED',
      spawn: 'ERR_ACCESS_DENIED',
      worker: 'ERR_ACCESS_DENIED',
      signalParent: 'ERR_ACCESS_DENIED',
      signalGroup: 'ERR_ACCESS_DENIED',
      debugParent: 'ERR_ACCESS_DENIED',
      reniceParent: 'ERR_ACCESS_DENIED',
      binding: 'ERR_ACCESS_DENIED',
      addon: 'ERR_ACCESS_DENIED',
      // Not covered by Node's permission model; the kernel sandbox has its own network namespace,
      // where the node's port on the host loopback does not exist.
      network: kernel ? 'ECONNREFUSED' : 'ok',
    });
  });

  it('restrictions - the module works in its own data folder (cwd), and its pid is not the node', async () => {
    const { cwd, pid } = (await query(node, 'good.whereami')) as { cwd: string; pid: number };
    expect(path.basename(cwd)).toBe('good');
    expect(path.basename(path.dirname(cwd))).toBe('modules');
    expect(pid).not.toBe(process.pid);
  });
});
