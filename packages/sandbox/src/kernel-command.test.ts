import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelRun, type KernelLimits } from './kernel-command.ts';
import { probeKernelSandbox } from './kernel-probe.ts';

const support = await probeKernelSandbox();
const LIMITS: KernelLimits = {
  maxOpenFiles: 64,
  diskQuotaMb: 1,
  tmpMb: 64,
  maxMemoryMb: 1024,
  maxCpuPercent: 100,
  maxProcesses: 64,
};
if (!support.available) console.warn(`[kernel-command] SKIPPED: ${support.reason}`);

/**
 * The kernel layer on its own, without Node's permission model inside: what a module could do
 * if it got past the permission model (the model "does not protect against malicious code").
 */
describe.skipIf(!support.available)('sandbox - kernel layer alone', () => {
  let dir: string;
  let own: string;
  let secret: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-kernel-'));
    own = path.join(dir, 'own');
    secret = path.join(dir, 'node-config.json');
    await writeFile(secret, '{"token":"secret"}');
    await import('node:fs/promises').then((fs) => fs.mkdir(own));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Runs `script` (plain JS, no permission model) in a kernel sandbox; resolves with what it printed. */
  async function inSandbox(script: string, withCgroups = true): Promise<Record<string, unknown>> {
    if (!support.available) throw new Error('no kernel sandbox');
    const file = path.join(dir, 'attack.cjs');
    await writeFile(file, script);
    const run = await kernelRun({
      support: withCgroups ? support : { ...support, cgroups: undefined, cgroupsMissing: 'left out by the test' },
      label: 'kernel-layer-test',
      limits: LIMITS,
      readOnly: [file],
      writable: [own],
      overQuota: false,
      cwd: own,
      env: { SAFE: '1' },
    });
    try {
      const child = spawn(run.file, [...run.args, file], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { SECRET: 'x' } });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.on('exit', r));
      return JSON.parse(out) as Record<string, unknown>;
    } finally {
      await run.cleanup();
    }
  }

  it('kernel - no host files, no other processes, no signals out, no spawn, no network, nobody, empty env', async () => {
    const r = await inSandbox(`
      const fs = require('fs'), cp = require('child_process'), os = require('os');
      const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code || e.message; } };
      console.log(JSON.stringify({
        passwd: code(() => fs.readFileSync('/etc/passwd')),
        secret: code(() => fs.readFileSync(${JSON.stringify(secret)})),
        procs: fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).length,
        killNode: code(() => process.kill(${process.pid}, 0)),
        spawn: code(() => { const r = cp.spawnSync('/bin/sh', ['-c', 'true']); if (r.error) throw r.error; }),
        ifaces: Object.keys(os.networkInterfaces()),
        uid: process.getuid(),
        env: Object.keys(process.env).filter((k) => !k.startsWith('NODE_CHANNEL')).sort(),
        ownWrite: code(() => fs.writeFileSync('x.txt', 'x')),
        rootWrite: code(() => fs.writeFileSync('/x.txt', 'x')),
        bigFile: code(() => fs.writeFileSync('big.bin', Buffer.alloc(2 * 1024 * 1024))),
        // Field 41 of stat, the scheduling policy: 3 is SCHED_BATCH.
        policy: Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ').pop().split(' ')[38]),
        fds: (() => { let n = 0; try { for (;;) { fs.openSync('/dev/null', 'r'); n++; } } catch (e) { return n + ':' + e.code; } })(),
      }));
    `);
    expect(r).toMatchObject({
      passwd: 'ENOENT',
      secret: 'ENOENT',
      killNode: 'ESRCH',
      spawn: 'EAGAIN',
      ifaces: ['lo'],
      env: ['PWD', 'SAFE'],
      ownWrite: 'ok',
      rootWrite: 'EROFS',
      bigFile: 'EFBIG',
    });
    // Only the sandbox's own processes: bwrap's init and node.
    expect(r.procs).toBeLessThanOrEqual(2);
    expect(r.uid).toBe(support.available && support.userNamespace ? 65534 : 0);
    // A module woken by the node does not preempt it (kernel-probe.ts chrt).
    expect(r.policy).toBe(support.available && support.chrt !== undefined ? 3 : 0);
    expect(String(r.fds)).toMatch(/:EMFILE$/);
    expect(Number(String(r.fds).split(':')[0])).toBeLessThan(64);
    expect(await readFile(path.join(own, 'x.txt'), 'utf8')).toBe('x');
    expect(existsSync('/x.txt')).toBe(false);
  });

  it('kernel - a fork bomb is contained without any cgroup: no process starts, threads still do', async () => {
    const r = await inSandbox(
      `
      const cp = require('child_process'), { Worker } = require('worker_threads');
      let started = 0, refused = {};
      for (let i = 0; i < 200; i++) {
        const c = cp.spawnSync(process.execPath, ['-e', '0']);
        if (c.error) refused[c.error.code] = (refused[c.error.code] || 0) + 1; else started++;
      }
      const w = new Worker('require("worker_threads").parentPort.postMessage(6 * 7)', { eval: true });
      w.once('message', (thread) => { console.log(JSON.stringify({ started, refused, thread })); process.exit(0); });
    `,
      false,
    );
    expect(r).toEqual({ started: 0, refused: { EAGAIN: 200 }, thread: 42 });
  });
});
