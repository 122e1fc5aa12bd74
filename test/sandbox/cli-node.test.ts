import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failure, sleep, spawnedNodeWithHostile, waitFor, whileProbingGood } from './support.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The node's child processes and their command lines. */
const childrenOf = (pid: number): { pid: number; cmdline: string }[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .map((p) => ({ pid: p, cmdline: readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ') }));

/**
 * The host pid of a module's sandbox process: the node's child whose command line names the
 * module's bundle (its permission grants, or bubblewrap's mounts, list it).
 */
const sandboxPid = (nodePid: number, module: string): number | undefined =>
  childrenOf(nodePid).find((c) => c.cmdline.includes(`module-${module}-`))?.pid;

/** The real `insights node` process (under tsx), its modules in restricted child processes. */
describe('sandbox - a real node process', () => {
  const h = spawnedNodeWithHostile('exiter');

  it('cli node - TypeScript modules run in child processes of the node, one per module', async () => {
    expect(h.node.ready.failedModules).toEqual([]);
    const goodPid = ((await h.mesh.query['good.whereami']!()) as { pid: number }).pid;
    const exiterPid = (await h.mesh.query['exiter.pid']!()) as number;
    const good = sandboxPid(h.node.proc.pid!, 'good');
    const exiter = sandboxPid(h.node.proc.pid!, 'exiter');
    expect(good).toBeDefined();
    expect(exiter).toBeDefined();
    expect(good).not.toBe(exiter);
    const kernel = childrenOf(h.node.proc.pid!).some((c) => c.pid === good && /^(\S*\/)?bwrap /.test(c.cmdline));
    // Under the kernel sandbox each module has a pid namespace of its own: it sees itself as pid 2
    // (bubblewrap's init is 1); otherwise its pid is the child's.
    if (kernel) expect([goodPid, exiterPid]).toEqual([2, 2]);
    else expect([goodPid, exiterPid]).toEqual([good, exiter]);
  });

  it('cli node - a module process killed with SIGKILL: its calls fail UNAVAILABLE, the node and the other module serve on, it comes back', async () => {
    const pid = sandboxPid(h.node.proc.pid!, 'exiter')!;
    await whileProbingGood(h.mesh, 'real node, module SIGKILL', async () => {
      const inFlight = failure(h.mesh.query['exiter.hold']!({ ms: 30_000 }, { timeoutMs: 30_000 }));
      await sleep(200);
      process.kill(pid, 'SIGKILL');
      expect(await inFlight).toMatchObject({ code: 'UNAVAILABLE' });
      await waitFor('exiter back', async () => {
        const now = sandboxPid(h.node.proc.pid!, 'exiter');
        return (
          now !== undefined &&
          now !== pid &&
          (await h.mesh.query['exiter.pid']!().then(
            () => true,
            () => false,
          ))
        );
      });
    });
    expect(h.node.stderr()).toMatch(/"msg":"module sandbox crashed; restarting it".*"module":"exiter".*SIGKILL/);
  });

  it('cli node - SIGTERM stops the node and its module processes', async () => {
    const pids = [sandboxPid(h.node.proc.pid!, 'good')!, sandboxPid(h.node.proc.pid!, 'exiter')!];
    expect(await h.node.stop()).toBe(0);
    await waitFor('module processes gone', () => pids.every((p) => !alive(p)), 5000);
  });
});
