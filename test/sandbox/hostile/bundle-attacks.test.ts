import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../support/test-node.ts';
import { REPO_ROOT, tempDir } from '../../support/tmp.ts';
import { hostile, query } from '../support.ts';

const SECRET = 'admin-token-that-must-not-leak';

/** A module package made for one test: its files, and @insights/sdk linked in its node_modules. */
async function makeModule(dir: string, name: string, source: string): Promise<string> {
  await mkdir(path.join(dir, 'node_modules', '@insights'), { recursive: true });
  await symlink(path.join(REPO_ROOT, 'packages', 'sdk'), path.join(dir, 'node_modules', '@insights', 'sdk'));
  const pkg = { name, private: true, type: 'module', exports: { '.': './index.ts' }, dependencies: { '@insights/sdk': '*' } };
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(pkg));
  await writeFile(path.join(dir, 'index.ts'), source);
  return dir;
}

const leakingModule = (name: string, importLine: string) => `import { defineModule, query } from '@insights/sdk';
${importLine}
export default defineModule({ name: '${name}', queries: { leak: query({ run: () => JSON.stringify(leaked) }) } });
`;

/**
 * Bundle-time attacks and name tricks (issue 13): each hostile module fails to load with an error
 * that names its file and the rule, nothing it pointed at ends up in a bundle or a grant, and the
 * well-behaved module on the same node keeps answering.
 */
describe('sandbox hostile - bundling and module names', () => {
  let node: TestNode;
  let tmp: { dir: string; remove(): Promise<void> };
  let dataDir: string;
  let configFile: string;
  const failure = (spec: string) => node.failedModules.find((f) => f.spec === spec)?.error ?? '(loaded)';

  beforeAll(async () => {
    tmp = await tempDir('insights-bundle-attacks-');
    dataDir = path.join(tmp.dir, 'data');
    await mkdir(dataDir);
    // Stands in for the node's JSON config, with its secrets.
    configFile = path.join(tmp.dir, 'node.json');
    await writeFile(configFile, JSON.stringify({ adminToken: SECRET }));
    const configImport = await makeModule(
      path.join(tmp.dir, 'bundle-config'),
      'bundle-config',
      leakingModule('bundle-config', `import leaked from '${configFile}' with { type: 'json' };`),
    );
    const linked = path.join(tmp.dir, 'bundle-symlink');
    await makeModule(linked, 'bundle-symlink', leakingModule('bundle-symlink', `const leaked = 'nothing at bundle time';`));
    // Shipped inside the module's folder: a way into every module's data at run time.
    await symlink(dataDir, path.join(linked, 'data'));
    const tsconfig = await makeModule(
      path.join(tmp.dir, 'bundle-tsconfig'),
      'bundle-tsconfig',
      leakingModule('bundle-tsconfig', `const leaked = 'compiled';`),
    );
    // esbuild would read this file, and show its first line in the error.
    await writeFile(path.join(tsconfig, 'tsconfig.json'), JSON.stringify({ extends: '/etc/passwd' }));
    node = await startTestNode({
      dataDir,
      modules: [
        hostile('good'),
        hostile('bundle-etc-passwd'),
        hostile('bundle-proc-environ'),
        hostile('bundle-outside'),
        configImport,
        linked,
        tsconfig,
        hostile('name-traversal'),
        hostile('name-forged'),
        hostile('name-switch'),
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await node.stop();
    await tmp.remove();
  });

  it('bundle - an absolute import with a text attribute (/etc/passwd) is refused, naming the file and the rule', () => {
    const error = failure(hostile('bundle-etc-passwd'));
    expect(error).toContain(path.join(hostile('bundle-etc-passwd'), 'index.ts'));
    expect(error).toContain('"/etc/passwd"');
    expect(error).toContain('(rule: absolute-import)');
  });

  it('bundle - a relative import that climbs out to /proc/self/environ is refused', () => {
    const error = failure(hostile('bundle-proc-environ'));
    expect(error).toContain(path.join(hostile('bundle-proc-environ'), 'index.ts'));
    expect(error).toContain('/proc/self/environ');
    expect(error).toContain('(rule: outside-package)');
  });

  it("bundle - an absolute import of the node's JSON config is refused", () => {
    const error = failure(path.join(tmp.dir, 'bundle-config'));
    expect(error).toContain(configFile);
    expect(error).toContain('(rule: absolute-import)');
  });

  it("bundle - an import of a file in another package (a neighbour's code) is refused", () => {
    const error = failure(hostile('bundle-outside'));
    expect(error).toContain(path.join(hostile('good'), 'index.ts'));
    expect(error).toContain('(rule: outside-package)');
  });

  it("bundle - a shipped symlink to the node's data folder is refused before anything runs", () => {
    const error = failure(path.join(tmp.dir, 'bundle-symlink'));
    expect(error).toContain(path.join(tmp.dir, 'bundle-symlink', 'data'));
    expect(error).toContain('(rule: symlink-outside-package)');
  });

  it("bundle - a module's tsconfig.json is not read (its `extends` could name any host file): it compiles as the node says", async () => {
    expect(failure(path.join(tmp.dir, 'bundle-tsconfig'))).toBe('(loaded)');
    expect(await query(node, 'bundle-tsconfig.leak')).toBe('"compiled"');
  });

  it('bundle - nothing the refused imports named reached a bundle on disk', async () => {
    const outDir = path.join(dataDir, 'sandbox', 'modules');
    for (const f of await readdir(outDir)) {
      const text = await readFile(path.join(outDir, f), 'utf8');
      expect(text).not.toContain(SECRET);
      expect(text).not.toMatch(/root:x:0:0/);
    }
  });

  it('names - a definition named `x/..` is refused by the loader; no folder is made from it', () => {
    expect(failure(hostile('name-traversal'))).toMatch(/module name "x\/\.\." is not allowed/);
    expect(existsSync(path.join(dataDir, 'modules', 'x'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'db', 'x'))).toBe(false);
  });

  it('names - a forged `ready` naming `x/..` is refused by the host', () => {
    expect(failure(hostile('name-forged'))).toMatch(/module name "x\/\.\.", which is not allowed/);
  });

  it('names - a sandbox that reports another name than its probe did is refused', () => {
    expect(failure(hostile('name-switch'))).toMatch(/reported the module name "good", but its probe reported "name-switch"/);
  });

  it('names - the data folders hold only the loaded modules, and the neighbour keeps answering with its own data', async () => {
    expect(await query(node, 'good.ping')).toBe('pong');
    expect(await query(node, 'good.remember', { key: 'k', value: 'v' })).toBe('v');
    // Only checked names become folders: never `x/..` or `..`. (name-forged may get its own, by its
    // real and valid name, when its probe's real `ready` wins the race against its forged one.)
    const folders = (await readdir(path.join(dataDir, 'modules'))).sort();
    expect(folders).toEqual(expect.arrayContaining(['bundle-tsconfig', 'good', 'name-switch']));
    expect(folders.every((f) => ['bundle-tsconfig', 'good', 'name-switch', 'name-forged'].includes(f))).toBe(true);
    expect(node.failedModules).toHaveLength(8);
  });
});
