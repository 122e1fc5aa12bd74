import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchProcess } from './process-transport.ts';
import type { ParentBatch } from './protocol.ts';
import type { SandboxTransport } from './transport.ts';

const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A stand-in for a sandbox runtime, a plain Node script on the channel (fd 3): it writes `count`
 * numbered messages of 1 KiB, all at once ("flood": they wait in its socket's buffer) or as its
 * socket takes them ("steady"), reports every 20 ms how many bytes wait in its socket, and reads
 * the node's messages only after SIGUSR1.
 */
const writer = (count: number, how: 'flood' | 'steady') => `
const count = ${count};
const how = '${how}';
import { Socket } from 'node:net';
import { serialize } from 'node:v8';
const s = new Socket({ fd: 3, readable: true, writable: true });
s.pause();
process.on('SIGUSR1', () => s.resume());
const pad = 'x'.repeat(1000);
const frame = (n) => {
  const body = serialize({ type: 'tick', n, pad });
  const f = Buffer.alloc(9 + body.length);
  f.writeUInt32LE(5 + body.length, 0);
  f[4] = 1;
  f.writeUInt32LE(body.length, 5);
  body.copy(f, 9);
  return f;
};
let n = 0;
const write = () => {
  while (n < count) if (!s.write(frame(n++)) && how === 'steady') return s.once('drain', write);
};
write();
setInterval(() => console.log(s.writableLength), 20);
`;

describe('process transport: flow control on the channel', () => {
  let dir: string;
  const running: SandboxTransport[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-process-transport-'));
  });
  afterAll(async () => {
    for (const t of running) t.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts a writer; the owner takes messages while `room()` says so. */
  function start(count: number, how: 'flood' | 'steady', room: () => boolean, maxUnreadBytes = 64 * MIB) {
    // Node takes the script for the runtime bundle.
    const script = path.join(dir, `writer-${count}-${how}.mjs`);
    writeFileSync(script, writer(count, how));
    const got: unknown[] = [];
    const waiting: number[] = [];
    let broken = '';
    let exited = '';
    const t = launchProcess(
      {
        runtimeBundle: script,
        cwd: dir,
        maxHeapMb: 64,
        permissionArgs: [],
        maxFrameBytes: 64 * MIB,
        maxMessageBytes: 4 * MIB,
        maxUnreadBytes,
      },
      {
        onMessage: (m) => room() && (got.push((m as { n: number }).n), true),
        onBroken: (reason) => (broken = reason),
        onOutput: (_s, line) => waiting.push(Number(line)),
        onExit: (reason) => (exited = reason),
      },
    );
    running.push(t);
    return { t, got, waiting, broken: () => broken, exited: () => exited };
  }

  it('stops reading while the owner has no room: the sandbox keeps its writes; on resume all come, in order', async () => {
    const total = 20_000;
    let room = 100;
    const s = start(total, 'flood', () => room-- > 0);
    await waitFor('the first hundred', () => s.got.length === 100);
    const reports = s.waiting.length;
    await waitFor('the writer to report twice more', () => s.waiting.length > reports + 1);
    await sleep(300);
    // The node stopped reading: what the writer wrote (20 MB) waits in the writer, not in the node.
    expect(s.waiting.at(-1)).toBeGreaterThan(10 * MIB);
    expect(s.got).toHaveLength(100);
    room = Infinity;
    s.t.resume();
    await waitFor('every message', () => s.got.length === total, 20_000);
    expect(s.got.every((n, i) => n === i)).toBe(true);
    s.t.kill();
  });

  it("stops reading from a sandbox that leaves 8 MiB of the node's messages unread, and reads on once it reads them", async () => {
    const s = start(1e9, 'steady', () => true);
    await waitFor('messages', () => s.got.length > 0);
    // 10 MiB the writer does not read (yet): nothing more is read from it meanwhile.
    for (let i = 0; i < 10; i++) s.t.post([new Uint8Array(MIB)] as unknown as ParentBatch);
    await sleep(50);
    const stalled = s.got.length;
    await sleep(300);
    // At most what one read had already brought in.
    expect(s.got.length - stalled).toBeLessThan(100);
    process.kill(s.t.pid!, 'SIGUSR1');
    await waitFor('reading again', () => s.got.length > stalled + 1000);
    expect(s.broken()).toBe('');
    s.t.kill();
  });

  it("kills the channel of a sandbox that leaves more than its memory limit of the node's messages unread", async () => {
    const s = start(0, 'flood', () => true, 4 * MIB);
    for (let i = 0; i < 8 && s.broken() === ''; i++) s.t.post([new Uint8Array(MIB)] as unknown as ParentBatch);
    expect(s.broken()).toMatch(
      /^it leaves the node's messages unread: \d+ bytes wait, over the channel's limit of 4194304 bytes$/,
    );
    s.t.kill();
    await waitFor('the exit', () => s.exited() !== '');
  });
});
