import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateMeshKeys, mintCapability } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { FIXTURE_MODULES, REPO_ROOT, tempDir } from '../support/tmp.ts';

const BUILD = path.join(REPO_ROOT, 'packages', 'cli', 'scripts', 'build.mjs');

/**
 * The CLI as it ships: built JavaScript (no tsx at start), loading module authors' TypeScript only
 * when a command loads modules, and presenting a capability to a node that requires one.
 */
describe('CLI - built, in a secured mesh', () => {
  const keys = generateMeshKeys();
  const token = mintCapability({
    privateKeyPem: keys.privateKeyPem,
    layers: [{ policy: { default: 'deny', rules: [{ match: 'course_*', effect: 'allow' }] }, context: {} }],
    ttlSeconds: 600,
  });
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cli: string;
  let node: NodeProcess;

  beforeAll(async () => {
    tmp = await tempDir('insights-cli-built-');
    const built = spawnSync(process.execPath, [BUILD, '--outdir', path.join(tmp.dir, 'dist')], { encoding: 'utf8' });
    expect(built.stderr).toBe('');
    cli = path.join(tmp.dir, 'dist', 'main.js');
    const config = path.join(tmp.dir, 'node.json');
    await writeFile(
      config,
      JSON.stringify({
        capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
        ingest: { tokens: ['ingest-token-for-tests-0001'] },
      }),
    );
    node = await spawnNode(
      [
        '--config',
        config,
        '--isolation',
        'inline',
        '--data-dir',
        path.join(tmp.dir, 'data'),
        '-m',
        path.join(FIXTURE_MODULES, 'echo'),
      ],
      { INSIGHTS_CAPABILITY: '' },
      cli,
    );
  }, 90_000);
  afterAll(async () => {
    await node?.stop();
    await tmp?.remove();
  });

  it('the built CLI runs without a TypeScript loader and loads .ts modules when a command needs them', async () => {
    const help = await runCli(['--help'], {}, cli);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: insights');
    // The node above loaded the echo fixture, a .ts file, through the lazily registered tsx.
    expect(node.ready.failedModules).toEqual([]);
  });

  it('a node that requires capabilities refuses the CLI without one', async () => {
    const r = await runCli(
      ['call', 'query.course_report', '--course', 'C1', '--node', node.ready.grpc],
      { INSIGHTS_CAPABILITY: '' },
      cli,
    );
    expect(r.code).not.toBe(0);
    // The TypeScript client treats a node whose Describe it may not read as serving nothing.
    expect(r.stderr).toMatch(/PERMISSION_DENIED|NOT_FOUND: no query named "course_report"/);
  });

  it('--capability, --capability-file and INSIGHTS_CAPABILITY present the capability on call and ls', async () => {
    const n = ['--node', node.ready.grpc];
    const flag = await runCli(['call', 'query.course_report', '--course', 'C1', ...n, '--capability', token], {}, cli);
    expect(flag.stderr).toBe('');
    expect(JSON.parse(flag.stdout)).toEqual({ course: 'C1' });

    const file = path.join(tmp.dir, 'capability');
    await writeFile(file, `${token}\n`);
    const fromFile = await runCli(['call', 'query.course_histogram', '--course', 'C2', ...n, '--capability-file', file], {}, cli);
    expect(JSON.parse(fromFile.stdout)).toEqual({ course: 'C2', bins: 10 });

    const ls = await runCli(['ls', ...n, '--json'], { INSIGHTS_CAPABILITY: token }, cli);
    const names = (JSON.parse(ls.stdout) as { analytics: { name: string }[] }).analytics.map((a) => a.name).sort();
    expect(names).toEqual(['course_histogram', 'course_report']); // admin_secret is not for this capability

    const denied = await runCli(['call', 'query.admin_secret', ...n, '--capability', token], {}, cli);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/PERMISSION_DENIED|NOT_FOUND/);
  });

  it('a capability file that cannot be read is a coded error naming the flag', async () => {
    const r = await runCli(
      ['call', 'query.course_report', '--node', node.ready.grpc, '--capability-file', path.join(tmp.dir, 'missing')],
      {},
      cli,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/INVALID_ARGUMENT: --capability-file: cannot read/);
  });
});
