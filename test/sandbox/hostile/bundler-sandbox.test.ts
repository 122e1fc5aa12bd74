import { realpathSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleInProcess, spawnBundler } from '@insights/sandbox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../support/tmp.ts';
import { describeKernel, kernel } from './kernel.ts';

const SECRET = 'admin-token-the-bundler-must-not-see';

/** Everything the bypass script reports: what it could read, and what esbuild made of the import. */
const BYPASS_SCRIPT = `
import fs from 'node:fs';
const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code || e.message; } };
process.once('message', async (m) => {
  const esbuild = await import(m.esbuild);
  let bundled;
  try {
    // esbuild alone, no path-scope plugin: as if the bundler's own checks were bypassed.
    const r = await esbuild.build({ entryPoints: [m.entry], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'silent' });
    bundled = r.outputFiles[0].text.includes(m.secret) ? 'leaked' : 'bundled without the secret';
  } catch (e) {
    bundled = e.errors?.[0]?.text ?? e.message;
  }
  process.send({
    bundled,
    config: code(() => fs.readFileSync(m.config)),
    outside: code(() => fs.readFileSync(m.outside)),
    otherModule: code(() => fs.readFileSync(m.otherModule)),
    passwd: code(() => fs.readFileSync('/etc/passwd')),
    own: code(() => fs.readFileSync(m.entry)),
    write: code(() => fs.writeFileSync(m.entry + '.x', 'x')),
    env: Object.keys(process.env).filter((k) => !k.startsWith('NODE_CHANNEL_')).sort(),
  }, () => process.exit(0));
});
`;

/**
 * The bundler process runs in a kernel sandbox (issue 13): it sees the module's package and what
 * resolving its imports needs, never the node's config, /etc or other folders, so an import of
 * them fails at bundle time even without the bundler's path checks.
 */
describeKernel('sandbox hostile - the bundler in its own kernel sandbox', () => {
  let tmp: { dir: string; remove(): Promise<void> };
  let moduleDir: string;
  let config: string;
  let outside: string;

  beforeAll(async () => {
    tmp = await tempDir('insights-bundler-sandbox-');
    // Stands in for the node's JSON config beside its data; `outside` for any other host file.
    config = path.join(tmp.dir, 'node.json');
    await writeFile(config, JSON.stringify({ adminToken: SECRET }));
    outside = path.join(tmp.dir, 'other', 'notes.txt');
    await mkdir(path.dirname(outside));
    await writeFile(outside, SECRET);
    moduleDir = path.join(tmp.dir, 'leaky');
    await mkdir(path.join(moduleDir, 'node_modules', '@insights'), { recursive: true });
    await symlink(path.join(REPO_ROOT, 'packages', 'sdk'), path.join(moduleDir, 'node_modules', '@insights', 'sdk'));
    const pkg = { name: 'leaky', type: 'module', dependencies: { '@insights/sdk': '*' } };
    await writeFile(path.join(moduleDir, 'package.json'), JSON.stringify(pkg));
    await writeFile(
      path.join(moduleDir, 'index.ts'),
      `import { z } from '@insights/sdk';\nimport leaked from '${config}' with { type: 'json' };\nexport default [z, leaked];\n`,
    );
    await writeFile(
      path.join(moduleDir, 'clean.ts'),
      "import { defineModule, query } from '@insights/sdk';\nexport default defineModule({ name: 'clean', queries: { q: query({ run: () => 1 }) } });\n",
    );
  });
  afterAll(() => tmp.remove());

  it("bundler sandbox - the node's config and files outside the module are not there, even for esbuild without the bundler's checks", async () => {
    // The node's data folder inside the module's (a developer's layout): hidden, but for the bundler's own bundle.
    const dataDir = path.join(moduleDir, 'data');
    await mkdir(path.join(dataDir, 'sandbox'), { recursive: true });
    await mkdir(path.join(dataDir, 'db'));
    await writeFile(path.join(dataDir, 'db', 'other-module.sqlite'), SECRET);
    const script = path.join(dataDir, 'sandbox', 'bypass.mjs');
    await writeFile(script, BYPASS_SCRIPT);
    const entry = realpathSync(path.join(moduleDir, 'index.ts'));
    const esbuild = realpathSync(path.join(REPO_ROOT, 'packages', 'sandbox', 'node_modules', 'esbuild', 'lib', 'main.js'));
    const child = await spawnBundler({ script, entry, kernel, hidden: [realpathSync(dataDir)] });
    const report = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Record<string, unknown>));
      child.once('exit', (code) => reject(new Error(`the bundler exited with ${code} before reporting`)));
      const otherModule = path.join(dataDir, 'db', 'other-module.sqlite');
      child.send({ entry, config, outside, otherModule, secret: SECRET, esbuild: pathToFileURL(esbuild).href });
    });
    expect(report).toEqual({
      bundled: `Could not resolve "${config}"`,
      config: 'ENOENT',
      outside: 'ENOENT',
      otherModule: 'ENOENT',
      passwd: 'ENOENT',
      own: 'ok',
      write: 'EROFS',
      env: ['ESBUILD_BINARY_PATH', 'PWD'],
    });
  });

  it('bundler sandbox - a well-behaved module bundles there, its declared packages resolved through their links', async () => {
    const b = await bundleInProcess(
      path.join(moduleDir, 'clean.ts'),
      path.join(tmp.dir, 'out'),
      path.join(tmp.dir, 'rt'),
      {
        label: 'clean',
        sourcemap: false,
      },
      kernel,
    );
    expect(path.dirname(b.file)).toBe(path.join(tmp.dir, 'out'));
    expect(b.readRoots).toContain(realpathSync(path.join(REPO_ROOT, 'packages', 'sdk')));
  });

  it('bundler sandbox - the import of the config is refused with the file and the rule', async () => {
    const error = await bundleInProcess(
      path.join(moduleDir, 'index.ts'),
      path.join(tmp.dir, 'out'),
      path.join(tmp.dir, 'rt'),
      {
        label: 'leaky',
        sourcemap: false,
      },
      kernel,
    ).then(
      () => 'bundled',
      (e: unknown) => (e as Error).message,
    );
    expect(error).toMatch(/index\.ts: imports ".*node\.json": absolute imports are not allowed \(rule: absolute-import\)/);
  });
});
