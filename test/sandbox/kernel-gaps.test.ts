import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseNodeConfig, startNode } from '@insights/node';
import type { LogRecord } from '@insights/runtime';
import { probeKernelSandbox } from '@insights/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode } from '../support/cli-process.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { tempDir } from '../support/tmp.ts';
import { hostile, query, sandboxHost } from './support.ts';

const kernel = await probeKernelSandbox();
if (!kernel.available) console.warn(`[kernel gaps] SKIPPED: ${kernel.reason}`);

const NO_FILTER = /^kernel sandbox: new processes are not refused by the kernel/;
const WHY = 'bubblewrap did not run with --seccomp: bwrap: Unknown option --seccomp';

/**
 * A node whose bubblewrap takes no seccomp filter (a real bubblewrap behind a wrapper that refuses
 * `--seccomp`, as an old build answers): it starts kernel sandboxes without the filter, says so
 * once at start in the log and in the CLI's output, and Describe says why; a node that requires
 * the filter refuses to start.
 */
describe.skipIf(!kernel.available)('sandbox - a kernel sandbox without the seccomp filter', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let bwrap: string;
  let node: TestNode;
  beforeAll(async () => {
    tmp = await tempDir('insights-kernel-gaps-');
    bwrap = path.join(tmp.dir, 'bwrap-without-seccomp');
    const real = kernel.available ? kernel.bwrap : '';
    await writeFile(
      bwrap,
      `#!/bin/sh\nfor a in "$@"; do if [ "$a" = --seccomp ]; then echo "bwrap: Unknown option --seccomp" >&2; exit 1; fi; done\nexec ${real} "$@"\n`,
    );
    await chmod(bwrap, 0o755);
    node = await startTestNode({ modules: [hostile('good'), hostile('exiter')], sandbox: { bwrap } });
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    await tmp?.remove();
  });

  it('kernel gaps - one warning line at start (not one per module), naming what is not enforced, why and what to do', async () => {
    const warnings = node.logs.filter((r: LogRecord) => r.level === 'warn' && NO_FILTER.test(String(r.msg)));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.msg)).toContain(`because ${WHY}`);
    expect(String(warnings[0]?.msg)).toContain('with a bubblewrap that takes --seccomp');
    expect(String(warnings[0]?.msg)).toContain("list 'seccomp' in sandbox.require");
    expect(node.logs.some((r) => /permission model only/.test(String(r.msg)))).toBe(false);
    expect(await query(node, 'good.ping')).toBe('pong');
  });

  it('kernel gaps - Describe: the kernel sandbox is in force, new processes are not refused, and why', async () => {
    expect(sandboxHost(node, 'good').status().sandbox).toMatchObject({
      mode: 'kernel',
      limits: { processes: `not refused: ${WHY}` },
    });
    const base = node.httpAddress.startsWith('http') ? node.httpAddress : `http://${node.httpAddress}`;
    const schema = (await (await fetch(`${base}/schema`)).json()) as {
      node: { sandbox: string };
      modules: { name: string; sandbox: string; sandboxLimitsJson: string }[];
    };
    expect(schema.node.sandbox).toBe('kernel');
    for (const m of schema.modules) expect(JSON.parse(m.sandboxLimitsJson)).toMatchObject({ processes: `not refused: ${WHY}` });
  });

  it("kernel gaps - sandbox.require: ['kernel', 'seccomp'] refuses to start, with a coded error naming the filter and why", async () => {
    const dir = await tempDir('insights-node-');
    try {
      const config = parseNodeConfig({
        dataDir: dir.dir,
        modules: [hostile('good')],
        sandbox: { require: ['kernel', 'seccomp'], bwrap },
      });
      await expect(startNode(config, { logSink: () => undefined })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        message: `sandbox.require lists seccomp, but the kernel sandbox cannot enforce it here: ${WHY}`,
      });
    } finally {
      await dir.remove();
    }
  });

  it('kernel gaps - `insights node` prints the warning once in its start output (stderr)', async () => {
    const dir = await tempDir('insights-node-');
    const cli = await spawnNode(['--data-dir', dir.dir, '--module', hostile('good'), '--module', hostile('exiter')], {
      INSIGHTS_SANDBOX_BWRAP: bwrap,
    });
    try {
      const warnings = () =>
        cli
          .stderr()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level?: string; msg?: string; reason?: string })
          .filter((l) => l.level === 'warn' && NO_FILTER.test(String(l.msg)));
      // Written at start, long before the ready line; read from its own pipe, so polled.
      await expect.poll(() => warnings().length, { timeout: 10_000 }).toBe(1);
      expect(warnings()[0]?.reason).toBe(WHY);
      expect(cli.ready.failedModules).toEqual([]);
    } finally {
      await cli.stop();
      await dir.remove();
    }
  }, 60_000);
});
