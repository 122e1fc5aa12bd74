import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { REPO_ROOT, tempDir } from '../support/tmp.ts';

const THROWER = path.join(REPO_ROOT, 'test', 'fixtures', 'hostile', 'thrower');
const BUDGET = 3;

/** One fault of `kind` so far, as /metrics reports it. */
const faultLine = (kind: string, n: number) =>
  new RegExp(`insights_process_faults_total\\{kind="${kind}",node="[^"]+"\\} ${n}\\n`);

describe('process faults - one unhandled failure does not end the node (issue 15)', () => {
  let node: NodeProcess;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
    const config = path.join(tmp.dir, 'node.json');
    await writeFile(
      config,
      JSON.stringify({ dataDir: path.join(tmp.dir, 'data'), limits: { maxProcessFaultsPerMinute: BUDGET } }),
    );
    // Inline: the module's timer and promise live in the node's own process.
    node = await spawnNode(['-c', config, '--isolation', 'inline', '--module', THROWER]);
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    await tmp?.remove();
  });

  const call = async (name: string) => {
    const res = await fetch(`http://${node.ready.http}/query/thrower.${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    return (await res.json()) as unknown;
  };
  const metrics = async () => (await fetch(`http://${node.ready.http}/metrics`)).text();

  it('an uncaught exception and an unhandled rejection are logged with their error, counted, and the node keeps serving', async () => {
    expect(await metrics()).toMatch(faultLine('uncaughtException', 0));
    expect(await call('uncaught')).toBe('armed');
    await expect.poll(metrics, { timeout: 20_000 }).toMatch(faultLine('uncaughtException', 1));
    expect(await call('unhandled')).toBe('rejected');
    await expect.poll(metrics, { timeout: 20_000 }).toMatch(faultLine('unhandledRejection', 1));
    expect(node.proc.exitCode).toBeNull();
    expect(await call('uncaught')).toBe('armed');
    const logged = node
      .stderr()
      .split('\n')
      .filter((l) => l.includes('survived'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'error',
          kind: 'uncaughtException',
          error: 'thrower: uncaught',
          stack: expect.any(String),
        }),
        expect.objectContaining({ level: 'error', kind: 'unhandledRejection', error: 'thrower: unhandled' }),
      ]),
    );
  }, 60_000);

  it('faults in a loop (beyond limits.maxProcessFaultsPerMinute) end the process with code 70', async () => {
    const exited = new Promise<number | null>((resolve) => node.proc.once('exit', (code) => resolve(code)));
    // Three faults so far; the budget is three within a minute: the next ones end it.
    await call('unhandled').catch(() => undefined);
    await call('unhandled').catch(() => undefined);
    expect(await exited).toBe(70);
    expect(node.stderr()).toMatch(/is fatal[^\n]*limits\.maxProcessFaultsPerMinute \(3\)/);
  }, 60_000);
});
