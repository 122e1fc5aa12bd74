import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./start-environment.ts', import.meta.url));

describe.skipIf(process.platform !== 'linux')('start environment', () => {
  it('start environment - a deleted secret is gone from /proc/self/environ too; what is still set stays', () => {
    // A fresh Node process (under tsx) started with the secret, as the node is.
    const script = `
      const { scrubStartEnvironment } = await import(${JSON.stringify(MODULE)});
      const { readFileSync } = await import('node:fs');
      const environ = () => readFileSync('/proc/self/environ', 'latin1');
      const before = environ().includes('s3cret-value');
      delete process.env.INSIGHTS_ADMIN_TOKENS;
      const blanked = scrubStartEnvironment();
      console.log(JSON.stringify({ before, blanked, after: environ().includes('s3cret-value'), kept: process.env.KEEP_ME, keptInEnviron: environ().includes('KEEP_ME=still-here') }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, INSIGHTS_ADMIN_TOKENS: 's3cret-value', KEEP_ME: 'still-here' },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(out).toMatchObject({ before: true, after: false, kept: 'still-here', keptInEnviron: true });
    expect(out.blanked).toBeGreaterThanOrEqual(1);
  });
});
