import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseNodeConfig } from './config.ts';
import { applyEnvOverrides } from './config-env.ts';

describe('config env - secrets', () => {
  it('config env - a secret is read from <variable>_FILE, and both variables leave the environment once read', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'insights-secret-'));
    try {
      const file = path.join(dir, 'admin-tokens');
      await writeFile(file, 'cccccccccccccccc,dddddddddddddddd\n');
      const env: NodeJS.ProcessEnv = {
        INSIGHTS_ADMIN_TOKENS_FILE: file,
        INSIGHTS_FILE_URL_SECRET: 'a-secret-of-at-least-32-characters!!',
        INSIGHTS_LOG_LEVEL: 'debug',
      };
      const out = applyEnvOverrides({}, env) as Record<string, Record<string, unknown>>;
      expect(out.admin).toEqual({ tokens: ['cccccccccccccccc', 'dddddddddddddddd'] });
      expect(out.fileUrlSecret).toBe('a-secret-of-at-least-32-characters!!');
      // What a worker or inline module could read from process.env: no secret, other settings kept.
      expect(env).toEqual({ INSIGHTS_LOG_LEVEL: 'debug' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("config env - a secret read from the node's own environment is gone from /proc/self/environ too", () => {
    if (process.platform !== 'linux') return;
    // A fresh process started with the secret, as the node is; worker and inline modules share its /proc/self.
    const script = `
      const { applyEnvOverrides } = await import(${JSON.stringify(fileURLToPath(new URL('./config-env.ts', import.meta.url)))});
      const { readFileSync } = await import('node:fs');
      const out = applyEnvOverrides({});
      console.log(JSON.stringify({ read: out.fileUrlSecret, environ: readFileSync('/proc/self/environ', 'latin1').includes('must-not-stay-in-environ') }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, INSIGHTS_FILE_URL_SECRET: 'a-secret-that-must-not-stay-in-environ' },
      encoding: 'utf8',
    });
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toEqual({
      read: 'a-secret-that-must-not-stay-in-environ',
      environ: false,
    });
  });

  it('config env - a secret given twice, or a _FILE that cannot be read, is a ConfigError naming the setting', () => {
    const both = () => applyEnvOverrides({}, { INSIGHTS_MESH_CAPABILITY: 'x', INSIGHTS_MESH_CAPABILITY_FILE: '/x' });
    expect(both).toThrow(ConfigError);
    expect(both).toThrow(/INSIGHTS_MESH_CAPABILITY and INSIGHTS_MESH_CAPABILITY_FILE are both set/);
    expect(() => applyEnvOverrides({}, { INSIGHTS_MONGODB_URL_FILE: '/nonexistent/url' })).toThrow(
      /INSIGHTS_MONGODB_URL_FILE=\/nonexistent\/url cannot be read/,
    );
  });
});

describe('config env - sandbox.require', () => {
  it('config env - INSIGHTS_SANDBOX_REQUIRE takes true/false or the protections to require, comma-separated', () => {
    const required = (v: string) =>
      (applyEnvOverrides({}, { INSIGHTS_SANDBOX_REQUIRE: v }).sandbox as { require: unknown }).require;
    expect(required('true')).toBe(true);
    expect(required('0')).toBe(false);
    expect(required('kernel, seccomp,cgroups')).toEqual(['kernel', 'seccomp', 'cgroups']);
    expect(parseNodeConfig({ sandbox: { require: ['kernel', 'cgroup-memory'] } }).sandbox.require).toEqual([
      'kernel',
      'cgroup-memory',
    ]);
    expect(() => parseNodeConfig({ sandbox: { require: ['seccom'] } })).toThrow(/sandbox\.require/);
  });
});
