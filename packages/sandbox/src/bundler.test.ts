/** The bundler's rules on small packages made for each case (bundled in this process; bundle-process.ts adds the empty environment). */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, bundleErrorText } from './bundler.ts';

const SDK = path.resolve(fileURLToPath(import.meta.url), '../../../sdk');

describe('bundler - rules', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'insights-bundler-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** A package with `files`, @insights/sdk linked in its node_modules, declaring `deps`. */
  async function pkg(name: string, files: Record<string, string>, deps: Record<string, string>): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(path.join(dir, 'node_modules', '@insights'), { recursive: true });
    await symlink(SDK, path.join(dir, 'node_modules', '@insights', 'sdk'));
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, type: 'module', dependencies: deps }));
    for (const [f, text] of Object.entries(files)) await writeFile(path.join(dir, f), text);
    return path.join(dir, 'index.ts');
  }

  const refusal = (entry: string) =>
    bundle(entry, path.join(root, 'out'), { label: 'm', sourcemap: false }).then(
      () => 'bundled',
      (e: unknown) => bundleErrorText(e),
    );

  it('bundler - a package it does not declare is refused, even when node_modules has it', async () => {
    const entry = await pkg('undeclared', { 'index.ts': "import { z } from '@insights/sdk'; export default z;" }, {});
    expect(await refusal(entry)).toMatch(
      /imports "@insights\/sdk", which .*undeclared\/package\.json does not declare .*\(rule: undeclared-dependency\)/,
    );
  });

  it("bundler - an import attribute may inline the module's own files, never a dependency's", async () => {
    const own = await pkg(
      'own-text',
      { 'index.ts': "import t from './notes.txt' with { type: 'text' }; export default t;", 'notes.txt': 'my notes' },
      {},
    );
    const b = await bundle(own, path.join(root, 'out'), { label: 'own', sourcemap: false });
    expect(await readFile(b.file, 'utf8')).toContain('my notes');
    // A declared dependency that exports a data file.
    const lib = path.join(root, 'lib');
    await mkdir(lib);
    await writeFile(
      path.join(lib, 'package.json'),
      JSON.stringify({ name: 'lib', exports: { './secret.json': './secret.json' } }),
    );
    await writeFile(path.join(lib, 'secret.json'), '{"token":"t"}');
    const dep = await pkg(
      'dep-json',
      { 'index.ts': "import p from 'lib/secret.json' with { type: 'json' }; export default p;" },
      { lib: '*' },
    );
    await symlink(lib, path.join(root, 'dep-json', 'node_modules', 'lib'));
    expect(await refusal(dep)).toMatch(
      /with \{ type: 'json' \}: only files of the module's own package may be inlined \(rule: import-attribute\)/,
    );
  });

  it('bundler - read grants are the package and its declared dependencies, by real path', async () => {
    const entry = await pkg(
      'grants',
      { 'index.ts': "import { z } from '@insights/sdk'; export default z.string();" },
      { '@insights/sdk': '*' },
    );
    const b = await bundle(entry, path.join(root, 'out'), { label: 'grants', sourcemap: false });
    expect(b.readRoots[0]).toBe(path.join(root, 'grants'));
    expect(b.readRoots).toContain(SDK);
    expect(b.readRoots.some((r) => r.includes(`${path.sep}zod`))).toBe(true);
    expect(b.readRoots).not.toContain(root);
  });
});
