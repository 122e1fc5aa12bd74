import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../support/test-node.ts';
import { REPO_ROOT, SHIPPED_MODULES } from '../../support/tmp.ts';
import { hostile, query, sandboxHost, whileProbingGood } from '../support.ts';

/** Width and height from a PNG's IHDR chunk, after checking its signature. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(bytes);
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/**
 * Native addons (issue 13): nothing turns them on automatically. A module that writes an addon
 * into its own data folder and loads it is refused with a clear error, and the shipped modules
 * that draw charts (WebAssembly resvg now) run with addons off.
 */
describe('sandbox hostile - native addons', () => {
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    node = await startTestNode({
      modules: [
        hostile('good'),
        hostile('addon-loader'),
        path.join(SHIPPED_MODULES, 'examples'),
        path.join(SHIPPED_MODULES, 'grade-distribution'),
      ],
    });
    mesh = await connect({ nodes: [node.grpcAddress] });
  }, 120_000);
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  it('addon - one written at run time into the data folder is refused, by require and by process.dlopen', async () => {
    const report = (await whileProbingGood(mesh, 'addon load', () => query(node, 'addon-loader.load'))) as Record<
      string,
      { code: string; message: string }
    >;
    for (const how of ['require', 'dlopen']) {
      expect(report[how]!.code).toBe('ERR_ACCESS_DENIED');
      expect(report[how]!.message).toMatch(/loading the native addon .*evil\.node .*modules\[\]\.nativeAddon/);
    }
    expect(await query(node, 'good.ping')).toBe('pong');
  });

  it('addon - no sandbox on the node runs with --allow-addons, the shipped chart modules included', async () => {
    expect(node.failedModules).toEqual([]);
    for (const m of ['good', 'addon-loader', 'examples', 'grade-distribution']) {
      const cmdline = await readFile(`/proc/${sandboxHost(node, m).pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('--experimental-permission');
      expect(cmdline).not.toContain('--allow-addons');
    }
  });

  it('addon - charts render PNGs with WebAssembly resvg inside the sandbox (examples.plot_grades, grade-distribution)', async () => {
    const html = (await node.dispatcher.call({
      kind: 'view',
      name: 'examples.plot_grades',
      args: { course: 'c1' },
      deadline: Date.now() + 30_000,
    })) as { type: string; html: string };
    expect(html.html).toContain('<img src=');
    const { cwd } = (await query(node, 'good.whereami')) as { cwd: string };
    const file = path.join(path.dirname(cwd), 'examples', 'files', 'plots', 'grades-c1.png');
    expect(pngSize(await readFile(file))).toEqual({ width: 640, height: 360 });
    const view = (await node.dispatcher.call({
      kind: 'view',
      name: 'grade-distribution.grade_histogram',
      args: { course: 'c1', format: 'png' },
      deadline: Date.now() + 30_000,
    })) as { type: string; data: Uint8Array };
    expect(view.type).toBe('png');
    const size = pngSize(view.data);
    expect(size.width).toBeGreaterThan(100);
    expect(size.height).toBeGreaterThan(100);
  });
});

/** A real native addon already installed (lightningcss, a vite dependency), if this platform has one. */
function installedAddon(): string | undefined {
  const store = path.join(REPO_ROOT, 'node_modules', '.pnpm');
  const dir = readdirSync(store).find((d) => d.startsWith('lightningcss-linux-x64-gnu@'));
  const file = dir && path.join(store, dir, 'node_modules', 'lightningcss-linux-x64-gnu', 'lightningcss.linux-x64-gnu.node');
  return file !== undefined && existsSync(file) ? file : undefined;
}

const ADDON = installedAddon();

describe.skipIf(ADDON === undefined)(
  'sandbox hostile - one addon allowed by the operator (needs lightningcss-linux-x64-gnu)',
  () => {
    let node: TestNode;
    beforeAll(async () => {
      node = await startTestNode({ modules: [hostile('good'), { path: hostile('addon-loader'), nativeAddon: ADDON }] });
    }, 120_000);
    afterAll(() => node.stop());

    it('addon - exactly the allowed file loads; one the module writes itself is still refused', async () => {
      expect(node.failedModules).toEqual([]);
      expect(await query(node, 'addon-loader.load_file', { file: ADDON })).toEqual({ code: 'ok', message: '' });
      const report = (await query(node, 'addon-loader.load')) as Record<string, { code: string }>;
      expect([report.require!.code, report.dlopen!.code]).toEqual(['ERR_ACCESS_DENIED', 'ERR_ACCESS_DENIED']);
      expect(await query(node, 'good.ping')).toBe('pong');
    });
  },
);
