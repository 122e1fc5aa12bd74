import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelLimitsInForce, kernelRun, type KernelLimits } from './kernel-command.ts';
import { findProgram, probeKernelSandbox } from './kernel-probe.ts';

const support = await probeKernelSandbox();
if (!support.available) console.warn(`[kernel-probe] SKIPPED: ${support.reason}`);

const LIMITS: KernelLimits = {
  maxOpenFiles: 64,
  diskQuotaMb: 1,
  tmpMb: 16,
  maxMemoryMb: 256,
  maxCpuPercent: 100,
  maxProcesses: 64,
};

describe.skipIf(!support.available)('kernel probe - the no-fork filter', () => {
  let dir: string;
  let oldBwrap: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-probe-'));
    // A bubblewrap that knows no --seccomp (as an old build would answer), real otherwise.
    oldBwrap = path.join(dir, 'bwrap-without-seccomp');
    const real = support.available ? support.bwrap : '';
    await writeFile(
      oldBwrap,
      `#!/bin/sh\nfor a in "$@"; do if [ "$a" = --seccomp ]; then echo "bwrap: Unknown option --seccomp" >&2; exit 1; fi; done\nexec ${real} "$@"\n`,
    );
    await chmod(oldBwrap, 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('kernel probe - where bubblewrap applies the filter, Describe says new processes are refused', () => {
    if (!support.available) throw new Error('no kernel sandbox');
    expect(support.seccomp, support.seccompMissing).toBe(true);
    expect(kernelLimitsInForce(support, LIMITS).processes).toBe('refused (seccomp)');
  });

  it('kernel probe - a bubblewrap that refuses --seccomp still sandboxes, without the filter, and Describe says why', async () => {
    const old = await probeKernelSandbox(oldBwrap);
    if (!old.available) throw new Error(old.reason);
    expect(old.seccomp).toBe(false);
    expect(old.seccompMissing).toMatch(/bubblewrap did not run with --seccomp: bwrap: Unknown option --seccomp/);
    expect(kernelLimitsInForce(old, LIMITS).processes).toBe(`not refused: ${old.seccompMissing}`);

    // Its sandboxes start (without the filter they would all fail) and still have no network.
    const run = await kernelRun({
      support: { ...old, cgroups: undefined, cgroupsMissing: 'left out by the test' },
      label: 'probe-test',
      limits: LIMITS,
      readOnly: [],
      writable: [],
      overQuota: false,
      cwd: '/',
      env: {},
    });
    try {
      expect(run.args).not.toContain('--seccomp');
      const child = spawn(run.file, [...run.args, '-e', 'console.log(Object.keys(require("os").networkInterfaces()).join())'], {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.on('exit', r));
      expect(out.trim()).toBe('lo');
    } finally {
      await run.cleanup();
    }
  });

  it('kernel probe - a missing bubblewrap is reported by name', async () => {
    expect(findProgram(path.join(dir, 'nowhere'))).toBeUndefined();
    expect(await probeKernelSandbox(path.join(dir, 'nowhere'))).toMatchObject({ available: false, reason: /is not installed/ });
  });
});
