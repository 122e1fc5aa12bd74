#!/usr/bin/env node
// Builds the CLI's own code, and the workspace packages it uses, into dist/ as JavaScript, so
// `insights` starts without compiling TypeScript (tsx at every start cost over a second). Third-party
// packages stay external, imported from where pnpm installed them. Run by `prepare` and by
// scripts/bootstrap.mjs before tests; bin/insights.js falls back to the sources under tsx while
// dist/ is missing or older than any of its inputs (listed in dist/inputs.json).
import { build, transform } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--outdir <dir>` builds elsewhere (tests); the bin runs dist/.
const outArg = process.argv.indexOf('--outdir');
const OUT = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(CLI, 'dist');
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const SKIP = Symbol('resolved');

/** Workspace sources are bundled (they are TypeScript); everything installed from npm stays external. */
const workspaceOnly = {
  name: 'workspace-only',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === SKIP) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: SKIP,
      });
      if (r.errors.length > 0) return { errors: r.errors };
      if (!r.path.includes(NODE_MODULES)) return { path: r.path };
      const isRequire = args.kind === 'require-call' || args.kind === 'require-resolve';
      return { path: isRequire ? r.path : pathToFileURL(r.path).href, external: true };
    });
    // Code that finds files next to itself (proto/, sandbox entry points, dashboard assets) keeps
    // its original location: import.meta is rewritten per file.
    b.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      if (args.path.includes(NODE_MODULES)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      // define (unlike text replacement) leaves strings that mention import.meta alone.
      const { code } = await transform(source, {
        loader: 'ts',
        format: 'esm',
        sourcefile: args.path,
        define: {
          'import.meta.url': '__metaUrl',
          'import.meta.dirname': '__metaDirname',
          'import.meta.filename': '__metaFilename',
        },
      });
      const header =
        `const __metaUrl = ${JSON.stringify(pathToFileURL(args.path).href)}, ` +
        `__metaDirname = ${JSON.stringify(path.dirname(args.path))}, __metaFilename = ${JSON.stringify(args.path)};\n`;
      return { contents: header + code, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: path.join(CLI, 'src', 'main.ts') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Resolve externals as Node's ESM loader will import them: package exports, else `main` (never `module`).
  mainFields: ['main'],
  conditions: [],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __insightsCreateRequire } from 'node:module'; const require = __insightsCreateRequire(import.meta.url);",
  },
  plugins: [workspaceOnly],
});
const inputs = Object.keys(result.metafile.inputs)
  .filter((f) => !f.includes('node_modules/') && !f.includes(':'))
  .map((f) => path.resolve(f));
// The chunks are ES modules wherever the folder is (tests build into a temporary one).
await writeFile(path.join(OUT, 'package.json'), '{ "type": "module" }\n');
await writeFile(path.join(OUT, 'inputs.json'), JSON.stringify({ builtAt: Date.now(), inputs }));
