import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, transform } from 'esbuild';

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * Vega-Lite renders in the browser, inside the view's sandboxed iframe, from the npm packages
 * served by the dashboard itself (no CDN, works offline). Chosen over rendering to SVG on the
 * server because a spec is module output: its expressions would otherwise be evaluated in the
 * process that holds the mesh signing key. In the opaque-origin sandbox they can reach nothing,
 * and the CSP-safe expression interpreter means no `eval` is needed. Charts also keep tooltips.
 */
export const VEGA_SCRIPTS = [
  '/assets/vega/vega.min.js',
  '/assets/vega/vega-lite.min.js',
  '/assets/vega/vega-interpreter.js',
  '/assets/vega/vega-embed.min.js',
] as const;

const SRC = import.meta.dirname;
const PACKAGE = path.resolve(SRC, '..');
const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (path.basename(dir) !== name && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

function asset(type: string, body: Buffer | string): Asset {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return { type, body: b, etag: `"${createHash('sha256').update(b).digest('base64url').slice(0, 22)}"` };
}

const JS = 'text/javascript; charset=utf-8';

/**
 * Loads every asset once, at start: the page's style and script (TypeScript in src/browser,
 * transpiled by esbuild: no build step to forget), and the Vega bundles from node_modules.
 */
export async function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  const ts = async (file: string) =>
    (
      await transform(await readFile(path.join(SRC, 'browser', file), 'utf8'), {
        loader: 'ts',
        format: 'iife',
        target: 'es2022',
        minify: false,
      })
    ).code;
  const interpreter = await build({
    stdin: { contents: "export { expressionInterpreter } from 'vega-interpreter';", resolveDir: PACKAGE, loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'vegaInterpreter',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const vendor = async (pkg: string, file: string) => readFile(path.join(packageDir(pkg), 'build', file));
  return new Map<string, Asset>([
    ['/assets/dashboard.css', asset('text/css; charset=utf-8', await readFile(path.join(PACKAGE, 'assets', 'dashboard.css')))],
    ['/assets/app.js', asset(JS, await ts('app.ts'))],
    ['/assets/vega-frame.js', asset(JS, await ts('vega-frame.ts'))],
    ['/assets/vega/vega.min.js', asset(JS, await vendor('vega', 'vega.min.js'))],
    ['/assets/vega/vega-lite.min.js', asset(JS, await vendor('vega-lite', 'vega-lite.min.js'))],
    ['/assets/vega/vega-embed.min.js', asset(JS, await vendor('vega-embed', 'vega-embed.min.js'))],
    ['/assets/vega/vega-interpreter.js', asset(JS, Buffer.from(interpreter.outputFiles[0]?.contents ?? new Uint8Array()))],
  ]);
}
