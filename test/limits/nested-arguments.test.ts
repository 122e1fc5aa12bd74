import path from 'node:path';
import { kindToWire } from '@insights/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';
import { RawNode, rssOf } from '../fuzz/raw-node.ts';

const MB = 1024 * 1024;
/** Valid for the capability (no capability is required) and the parameter exists: only its depth is hostile. */
const nested = (depth: number) => Buffer.from(`{"course":${'['.repeat(depth)}${']'.repeat(depth)}}`);

describe('limits - deeply nested call arguments (issue 15)', () => {
  let node: NodeProcess;
  let raw: RawNode;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
    node = await spawnNode(['--isolation', 'inline', '--data-dir', tmp.dir, '--module', path.join(FIXTURE_MODULES, 'echo')]);
    raw = new RawNode(node.ready.grpc);
  });
  afterAll(async () => {
    raw?.close();
    await node?.stop();
    await tmp?.remove();
  });

  it('1,000 of them are refused with INVALID_ARGUMENT naming the limit, the node RSS stays flat and good calls are served', async () => {
    const kind = kindToWire('query');
    const hostile = () => raw.call({ kind, name: 'echo.course_report', argsJson: nested(200_000) });
    const good = () => raw.call({ kind, name: 'echo.course_report', argsJson: Buffer.from('{"course":"c1"}') });
    // Warm up (code paths, buffers), then measure.
    for (const a of await Promise.all(Array.from({ length: 20 }, hostile))) expect(a.ok).toBe(false);
    const before = rssOf(node.proc.pid!);
    let peak = before;
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, hostile));
      for (const a of answers) {
        expect(a).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
        if (!a.ok) expect(a.message).toMatch(/nested deeper than 64 levels .*limits\.maxJsonDepth/);
      }
      expect(await good()).toEqual({ ok: true });
      peak = Math.max(peak, rssOf(node.proc.pid!));
    }
    const after = rssOf(node.proc.pid!);
    console.log(
      `[nested] node RSS before ${(before / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB, after ${(after / MB).toFixed(0)} MB`,
    );
    // 1,000 x 400 KB of arguments went through; the node kept none of it (generous bound: buffers, GC timing).
    expect(peak - before).toBeLessThan(150 * MB);
    expect(node.proc.exitCode).toBeNull();
  }, 180_000);
});
