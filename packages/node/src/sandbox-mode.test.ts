import { createLogger } from '@insights/runtime';
import { SANDBOX_CPU_PROF_ENV } from '@insights/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNodeConfig } from './config.ts';
import { checkSandbox } from './sandbox-mode.ts';

const log = createLogger(() => {});

describe('sandbox mode - the bench-only sandbox profiler', () => {
  afterEach(() => {
    delete process.env[SANDBOX_CPU_PROF_ENV];
  });

  it('refuses to start where sandbox.require is set, or where no bubblewrap would be left either', async () => {
    process.env[SANDBOX_CPU_PROF_ENV] = '/tmp/insights-profiles';
    const required = parseNodeConfig({ sandbox: { require: true } });
    await expect(checkSandbox(required, log)).rejects.toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
      missing: ['permission-model'],
      message: expect.stringContaining('sandbox.require forbids'),
    });
    const noKernel = parseNodeConfig({ sandbox: { bwrap: '/nonexistent/bwrap' } });
    await expect(checkSandbox(noKernel, log)).rejects.toMatchObject({
      message: expect.stringContaining('no sandbox at all'),
    });
    delete process.env[SANDBOX_CPU_PROF_ENV];
    await expect(checkSandbox(noKernel, log)).resolves.toMatchObject({ mode: 'permission-model-only' });
  });
});
