import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnBundler } from './bundle-process.ts';

describe('bundle process', () => {
  it("bundle process - starts with an empty environment: the node's secrets are not there to read", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'insights-bundler-env-'));
    process.env.INSIGHTS_ADMIN_TOKENS = 'a-secret-the-bundler-must-not-see';
    try {
      const script = path.join(dir, 'report-env.mjs');
      await writeFile(script, 'process.send(process.env, () => process.exit(0));');
      const child = await spawnBundler({ script, entry: path.join(dir, 'index.ts') });
      const env = await new Promise<Record<string, string>>((resolve) =>
        child.once('message', (m) => resolve(m as Record<string, string>)),
      );
      // Node's own IPC variables are all it may hold.
      expect(Object.keys(env).filter((k) => !k.startsWith('NODE_CHANNEL_'))).toEqual([]);
    } finally {
      delete process.env.INSIGHTS_ADMIN_TOKENS;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
