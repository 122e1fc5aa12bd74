import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/cli-process.ts';
import { REPO_ROOT } from '../support/tmp.ts';

/** A module whose query answers `version` and whose handler records `version` for each event. */
const source = (version: string, extraHandler = '') => `import { defineModule, eventHandler, query } from '@insights/sdk';
export default defineModule({
  name: 'devmod',
  queries: {
    version: query({ run: () => '${version}' }),
    marked: query({ run: async (_a, { db }) => db.collection('marks').countDocuments({ by: '${version}' }) }),
    extra: query({ run: async (_a, { db }) => db.collection('extra').countDocuments({}) }),
  },
  eventHandlers: {
    mark: eventHandler({
      handle: async (events, { db }) => {
        for (const e of events) await db.collection('marks').insertOne({ _id: e.id, by: '${version}' });
      },
    }),${extraHandler}
  },
});
`;
const EXTRA = `
    extra: eventHandler({
      handle: async (events, { db }) => {
        for (const e of events) await db.collection('extra').insertOne({ _id: e.id });
      },
    }),`;

const envelope = (id: string) => ({ id, time: new Date().toISOString(), source: 'dev-test', type: 'mark', payload: {} });

describe('CLI - insights dev', () => {
  // Inside the repository, so the module resolves @insights/sdk like any module here (.data is ignored by git).
  const dir = path.join(REPO_ROOT, '.data', `dev-test-${process.pid}`);
  const file = path.join(dir, 'devmod', 'index.ts');
  let proc: ChildProcess;
  let mesh: Mesh;
  const lines: string[] = [];
  const waiters: (() => void)[] = [];

  /** Resolves with the first output line (from `from` on) that matches. */
  const lineMatching = async (re: RegExp, from = 0): Promise<string> => {
    for (;;) {
      const hit = lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (proc.exitCode !== null) throw new Error(`insights dev exited (${proc.exitCode}):\n${lines.join('\n')}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };

  beforeAll(async () => {
    await mkdir(path.dirname(file), { recursive: true });
    // A module is a package that declares what it imports (the sandbox bundles nothing else).
    await writeFile(
      path.join(path.dirname(file), 'package.json'),
      JSON.stringify({ name: 'devmod', private: true, type: 'module', dependencies: { '@insights/sdk': 'workspace:*' } }),
    );
    await writeFile(file, source('v1'));
    proc = spawn(process.execPath, [CLI, 'dev', path.dirname(file), '--data-dir', path.join(dir, 'data')], {
      cwd: REPO_ROOT,
      env: { ...process.env, NATS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [proc.stdout!, proc.stderr!])
      createInterface({ input: stream }).on('line', (l) => {
        lines.push(l);
        for (const w of waiters.splice(0)) w();
      });
    proc.on('exit', () => waiters.splice(0).forEach((w) => w()));
    const ready = JSON.parse(await lineMatching(/"event":"ready"/)) as { grpc: string };
    await lineMatching(/watching /);
    mesh = await connect({ nodes: [ready.grpc] });
  }, 90_000);

  afterAll(async () => {
    await mesh?.close();
    if (proc?.exitCode === null) await new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM')));
    await rm(dir, { recursive: true, force: true });
  });

  it('an edit to a query and to an event handler is picked up without restarting the node', async () => {
    expect(await mesh.query.version!()).toBe('v1');
    await mesh.events.ingest([envelope('e1')], { waitForHandlers: true });
    expect(await mesh.query.marked!()).toBe(1);
    await lineMatching(/^call +query devmod\.version/); // calls print as they happen

    const mark = lines.length;
    await writeFile(file, source('v2'));
    await lineMatching(/reloaded devmod$/, mark);
    expect(await mesh.query.version!()).toBe('v2');
    await mesh.events.ingest([envelope('e2')], { waitForHandlers: true });
    expect(await mesh.query.marked!()).toBe(1); // e2, recorded by the edited handler as v2
  }, 90_000);

  it('a new event handler is wired (the node restarts on the same address), and errors print', async () => {
    const mark = lines.length;
    await writeFile(file, source('v3', EXTRA));
    await lineMatching(/event handlers or jobs changed/, mark);
    await lineMatching(/reloaded devmod \(node restarted\)/, mark);
    await mesh.refresh();
    await mesh.events.ingest([envelope('e3')], { waitForHandlers: true });
    expect(await mesh.query.extra!()).toBe(1);
    expect(await mesh.query.marked!()).toBe(1);

    await expect(mesh.query.version!({ unexpected: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await lineMatching(/^fail +query devmod\.version .*INVALID_ARGUMENT/, mark);
  }, 90_000);
});
