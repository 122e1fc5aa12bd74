import { parseNodeConfig, startNode } from '@insights/node';
import type { LogRecord } from '@insights/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { tempDir } from '../support/tmp.ts';
import { hostile, query, sandboxHost } from './support.ts';

const MISSING_BWRAP = '/nonexistent/bwrap';

/** Where bubblewrap cannot run: the node says so once, reports it, or refuses to start when told to. */
describe('sandbox - without bubblewrap', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ modules: [hostile('good')], sandbox: { bwrap: MISSING_BWRAP } });
  });
  afterAll(() => node.stop());

  it('sandbox mode - one warning at start, modules still run under the permission model, reported as such', async () => {
    const warnings = node.logs.filter((r: LogRecord) => r.level === 'warn' && /permission model only/.test(String(r.msg)));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.msg)).toContain(`${MISSING_BWRAP} is not installed`);
    expect(await query(node, 'good.ping')).toBe('pong');
    expect(sandboxHost(node, 'good').status().sandbox?.mode).toBe('permission-model-only');
    const base = node.httpAddress.startsWith('http') ? node.httpAddress : `http://${node.httpAddress}`;
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { sandbox: { mode: string } };
    expect(ready.sandbox.mode).toBe('permission-model-only');
    const schema = (await (await fetch(`${base}/schema`)).json()) as {
      node: { sandbox: string };
      modules: { sandbox: string }[];
    };
    expect(schema.node.sandbox).toBe('permission-model-only');
    expect(schema.modules.map((m) => m.sandbox)).toEqual(['permission-model-only']);
  });

  it('sandbox mode - sandbox.require refuses to start, with a coded error that says why', async () => {
    const tmp = await tempDir('insights-node-');
    try {
      const config = parseNodeConfig({
        dataDir: tmp.dir,
        modules: [hostile('good')],
        sandbox: { require: true, bwrap: MISSING_BWRAP },
      });
      await expect(startNode(config, { logSink: () => undefined })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
        message: expect.stringContaining(`sandbox.require is on, but process modules cannot run in the kernel sandbox`),
      });
    } finally {
      await tmp.remove();
    }
  });
});
