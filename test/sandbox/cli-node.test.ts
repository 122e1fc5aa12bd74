import { readFileSync } from 'node:fs';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { tempDir } from '../support/tmp.ts';
import { failure, hostile, sleep, waitFor, whileProbingGood } from './support.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The real `insights node` process (under tsx), its modules in permission-restricted child processes. */
describe('sandbox - a real node process', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let node: NodeProcess;
  let mesh: Mesh;
  beforeAll(async () => {
    tmp = await tempDir();
    node = await spawnNode(['--data-dir', tmp.dir, '--module', hostile('good'), '--module', hostile('exiter')]);
    mesh = await connect({ nodes: [node.ready.grpc] });
  }, 60_000);
  afterAll(async () => {
    await mesh.close();
    await node.stop();
    await tmp.remove();
  });

  it('cli node - TypeScript modules run in child processes of the node, one per module', async () => {
    expect(node.ready.failedModules).toEqual([]);
    const children = readFileSync(`/proc/${node.proc.pid}/task/${node.proc.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const goodPid = ((await mesh.query['good.whereami']!()) as { pid: number }).pid;
    const exiterPid = (await mesh.query['exiter.pid']!()) as number;
    expect(children).toEqual(expect.arrayContaining([goodPid, exiterPid]));
    expect(goodPid).not.toBe(exiterPid);
  });

  it('cli node - a module process killed with SIGKILL: its calls fail UNAVAILABLE, the node and the other module serve on, it comes back', async () => {
    const pid = (await mesh.query['exiter.pid']!()) as number;
    await whileProbingGood(mesh, 'real node, module SIGKILL', async () => {
      const inFlight = failure(mesh.query['exiter.hold']!({ ms: 30_000 }, { timeoutMs: 30_000 }));
      await sleep(200);
      process.kill(pid, 'SIGKILL');
      expect(await inFlight).toMatchObject({ code: 'UNAVAILABLE' });
      await waitFor('exiter back', async () => ((await mesh.query['exiter.pid']!().catch(() => pid)) as number) !== pid);
    });
    expect(node.stderr()).toMatch(/"msg":"module sandbox crashed; restarting it".*"module":"exiter".*SIGKILL/);
  });

  it('cli node - SIGTERM stops the node and its module processes', async () => {
    const pids = [((await mesh.query['good.whereami']!()) as { pid: number }).pid, (await mesh.query['exiter.pid']!()) as number];
    expect(await node.stop()).toBe(0);
    await waitFor('module processes gone', () => pids.every((p) => !alive(p)), 5000);
  });
});
