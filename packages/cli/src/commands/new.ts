import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `insights new <name>`: a module folder with one query, one view and a passing test, ready
 * for `insights node --module <dir>` and `npx vitest run <dir>`.
 */
export async function runNew(name: string, opts: { dir?: string }): Promise<void> {
  if (!/^[a-z][a-z0-9_-]{0,62}$/.test(name))
    throw new Error(`module name "${name}" must be lower-case letters, digits, "-" or "_", starting with a letter`);
  const dir = path.resolve(opts.dir ?? 'modules', name);
  if (existsSync(dir)) throw new Error(`${dir} already exists; choose another name or remove it`);
  await mkdir(path.join(dir, 'src'), { recursive: true });
  const ident = name.replace(/[^a-z0-9_]/g, '_');
  await writeFile(
    path.join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: `@insights/module-${name}`,
        version: '0.1.0',
        private: true,
        type: 'module',
        exports: { '.': './src/index.ts' },
        dependencies: { '@insights/sdk': 'workspace:*' },
        devDependencies: { '@insights/client': 'workspace:*' },
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(
    path.join(dir, 'src', 'index.ts'),
    `import { defineModule, query, table, view, z } from '@insights/sdk';

export default defineModule({
  name: '${name}',
  version: '0.1.0',
  description: 'What ${name} tells instructors, in one sentence.',
  queries: {
    ${ident}_count: query({
      description: 'How many records the module has stored for a course.',
      params: { course: z.string().min(1).describe('Course id') },
      run: async ({ course }, { db }) => db.collection('records').countDocuments({ course }),
    }),
  },
  views: {
    ${ident}_table: view({
      description: 'The count as a small table.',
      params: { course: z.string().min(1).describe('Course id') },
      run: async ({ course }, { mesh }) => table(['course', 'records'], [[course, (await mesh.query.${ident}_count!({ course })) as number]]),
    }),
  },
});
`,
  );
  await writeFile(
    path.join(dir, 'src', 'index.test.ts'),
    `import { local } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mod from './index.ts';

describe('${name}', () => {
  let mesh: Awaited<ReturnType<typeof local>>;
  beforeAll(async () => {
    mesh = await local({ modules: [mod] });
  });
  afterAll(() => mesh.close());

  it('counts nothing in a new course', async () => {
    expect(await mesh.query.${ident}_count!({ course: 'demo' })).toBe(0);
  });

  it('renders the count as a table', async () => {
    const v = await mesh.view.${ident}_table!({ course: 'demo' });
    expect(v).toMatchObject({ type: 'table', rows: [['demo', 0]] });
  });

  it('names a missing parameter', async () => {
    await expect(mesh.query.${ident}_count!({})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'course' });
  });
});
`,
  );
  process.stdout.write(
    `created ${path.relative(process.cwd(), dir) || dir}\n  src/index.ts       the module\n  src/index.test.ts  its test\nnext:\n  pnpm install                      (link it into the workspace)\n  npx vitest run ${path.relative(process.cwd(), dir)}\n  npx insights node --module ${path.relative(process.cwd(), dir)}\n`,
  );
}
