import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { FIXTURE_MODULES, REPO_ROOT, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

describe('CLI', () => {
  let node: NodeProcess;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
    node = await spawnNode([
      '--data-dir',
      tmp.dir,
      '--label',
      'lms',
      '--module',
      path.join(SHIPPED_MODULES, 'testmodule'),
      '--module',
      path.join(SHIPPED_MODULES, 'examples'),
      '--module',
      path.join(FIXTURE_MODULES, 'not-a-module'),
    ]);
  }, 60_000);
  afterAll(async () => {
    await node.stop();
    await tmp.remove();
  });

  it('insights node prints one ready line with bound addresses and the modules that failed', () => {
    expect(node.ready.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(node.ready.http).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(node.ready.failedModules).toEqual([
      { module: expect.stringContaining('not-a-module'), error: expect.stringMatching(/must `export default defineModule/) },
    ]);
  });

  it('insights call prints JSON, types flags from the schema, and offers CSV', async () => {
    const n = ['--node', node.ready.grpc];
    expect(JSON.parse((await runCli(['call', 'query.hello_user', '--user', 'ada', ...n])).stdout)).toBe('Hello, ada!');
    const grades = JSON.parse((await runCli(['call', 'query.get_grades', '--learners', '4', ...n])).stdout) as unknown[];
    expect(grades).toHaveLength(4);
    const csv = (await runCli(['call', 'query.get_grades', '--learners=2', '--csv', ...n])).stdout;
    expect(csv.split('\r\n')).toHaveLength(4);
    expect((await runCli(['call', 'view.djt_fake_user_count', ...n])).stdout.trim()).toBe('<html>Users: 2</html>');
  });

  it('insights call explains errors in one line and exits non-zero', async () => {
    const r = await runCli(['call', 'query.hello_user', '--node', node.ready.grpc]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^insights: INVALID_ARGUMENT: examples\.hello_user: parameter "user": missing required parameter$/,
    );
    const none = await runCli(['call', 'query.hello'], { INSIGHTS_NODES: '', NATS_URL: '' });
    expect(none.stderr).toMatch(/--node host:port/);
  });

  it('insights ls lists nodes and analytics as a table and as JSON', async () => {
    const table = (await runCli(['ls'], { INSIGHTS_NODES: node.ready.grpc })).stdout;
    expect(table).toMatch(/^NODE\s+ADDRESS\s+LABELS/m);
    expect(table).toMatch(/query\s+examples\.hello_user\s+user\s/);
    const json = JSON.parse((await runCli(['ls', '--json', '--node', node.ready.grpc])).stdout) as { nodes: unknown[] };
    expect(json.nodes).toHaveLength(1);
  });

  it('SIGTERM drains and exits 0', async () => {
    const other = await spawnNode([
      '--data-dir',
      path.join(tmp.dir, 'other'),
      '--module',
      path.join(SHIPPED_MODULES, 'examples'),
    ]);
    const code = await other.stop();
    expect(code, other.stderr()).toBe(0);
    expect(other.stderr()).toMatch(/SIGTERM: draining in-flight calls/);
  });

  it('insights new scaffolds a module whose own test passes', async () => {
    // A module outside the workspace finds the SDK through node_modules, as an installed one would.
    await mkdir(path.join(tmp.dir, 'node_modules', '@insights'), { recursive: true });
    await symlink(path.join(REPO_ROOT, 'packages', 'sdk'), path.join(tmp.dir, 'node_modules', '@insights', 'sdk'));
    const r = await runCli(['new', 'my-first', '--dir', tmp.dir]);
    expect(r.code).toBe(0);
    const dir = path.join(tmp.dir, 'my-first');
    expect(existsSync(path.join(dir, 'src', 'index.test.ts'))).toBe(true);
    const src = await readFile(path.join(dir, 'src', 'index.ts'), 'utf8');
    expect(src).toContain("name: 'my-first'");
    // Load the scaffolded module through a node and call it, as its author would.
    const scaffolded = await spawnNode(['--data-dir', path.join(tmp.dir, 'scaffolded'), '--module', dir]);
    try {
      const out = await runCli(['call', 'query.my_first_count', '--course', 'demo', '--node', scaffolded.ready.grpc]);
      expect(out.stdout.trim(), out.stderr + scaffolded.stderr()).toBe('0');
    } finally {
      await scaffolded.stop();
    }
  }, 60_000);
});
