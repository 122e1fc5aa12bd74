import { writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import path from 'node:path';
import { kindToWire } from '@insights/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';
import { RawNode, fdsOf } from '../fuzz/raw-node.ts';

const PER_PEER = 100;
const TOTAL = 150;
const FLOOD = 2000;

interface Flood {
  readonly sockets: net.Socket[];
  /** Sockets the node has not closed (refused ones are closed right after being accepted: poll). */
  open(): number;
  /** The first bytes a refused socket received (HTTP says why). */
  readonly refusals: string[];
  end(): Promise<void>;
}

/** `count` connections from `from` (a loopback address) to `address`, opened 200 at a time. */
async function flood(address: string, from: string, count: number): Promise<Flood> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const sockets: net.Socket[] = [];
  const closed = new Set<net.Socket>();
  const refusals: string[] = [];
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, () => {
        const s = net.connect({ host, port, localAddress: from });
        sockets.push(s);
        s.on('data', (d: Buffer) => refusals.length < 5 && refusals.push(d.toString()));
        s.on('error', () => {});
        s.on('close', () => closed.add(s));
        return new Promise<void>((resolve) => {
          s.once('connect', () => resolve());
          s.once('close', () => resolve());
        });
      }),
    );
  }
  return {
    sockets,
    open: () => sockets.length - closed.size,
    refusals,
    end: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, 200));
    },
  };
}

describe('limits - connection floods (issue 15)', () => {
  let node: NodeProcess;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
    const config = path.join(tmp.dir, 'node.json');
    await writeFile(
      config,
      JSON.stringify({ dataDir: path.join(tmp.dir, 'data'), limits: { maxConnectionsPerPeer: PER_PEER, maxConnections: TOTAL } }),
    );
    node = await spawnNode(['-c', config, '--isolation', 'inline', '--module', path.join(FIXTURE_MODULES, 'echo')]);
  });
  afterAll(async () => {
    await node?.stop();
    await tmp?.remove();
  });

  const goodGrpc = async () => {
    const raw = new RawNode(node.ready.grpc);
    try {
      return await raw.call(
        { kind: kindToWire('query'), name: 'echo.course_report', argsJson: Buffer.from('{"course":"c"}') },
        5000,
      );
    } finally {
      raw.close();
    }
  };
  const goodHttp = async () => (await fetch(`http://${node.ready.http}/query/echo.course_report?course=c`)).status;

  it('thousands of sockets from one peer hit the per-peer limit on both ports; another client is served; file descriptors come back', async () => {
    const pid = node.proc.pid!;
    const baseline = fdsOf(pid);
    const grpcFlood = await flood(node.ready.grpc, '127.0.0.2', FLOOD);
    const httpFlood = await flood(node.ready.http, '127.0.0.2', FLOOD);
    try {
      await expect.poll(() => grpcFlood.open(), { timeout: 20_000 }).toBe(PER_PEER);
      await expect.poll(() => httpFlood.open(), { timeout: 20_000 }).toBe(PER_PEER);
      expect(httpFlood.refusals[0]).toMatch(/^HTTP\/1\.1 503[\s\S]*"code":"UNAVAILABLE"[\s\S]*limits\.maxConnectionsPerPeer/);
      // The node holds one descriptor per admitted socket, not per attempt.
      expect(fdsOf(pid)).toBeLessThan(baseline + 2 * PER_PEER + 50);
      // Another peer (127.0.0.1) is served meanwhile.
      expect(await goodGrpc()).toEqual({ ok: true });
      expect(await goodHttp()).toBe(200);
    } finally {
      await grpcFlood.end();
      await httpFlood.end();
    }
    await expect.poll(() => fdsOf(pid), { timeout: 10_000 }).toBeLessThan(baseline + 20);
    expect(await goodGrpc()).toEqual({ ok: true });
  }, 120_000);

  it('floods from several peers stop at the total', async () => {
    const a = await flood(node.ready.grpc, '127.0.0.2', 500);
    const b = await flood(node.ready.grpc, '127.0.0.3', 500);
    try {
      await expect.poll(() => a.open(), { timeout: 20_000 }).toBe(PER_PEER);
      await expect.poll(() => b.open(), { timeout: 20_000 }).toBe(TOTAL - PER_PEER);
    } finally {
      await a.end();
      await b.end();
    }
    const metrics = await (await fetch(`http://${node.ready.http}/metrics`)).text();
    expect(metrics).toMatch(/insights_input_refused_total\{entry="grpc-connection",limit="maxConnections",node="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(
      /insights_input_refused_total\{entry="http-connection",limit="maxConnectionsPerPeer",node="[^"]+"\} [1-9]/,
    );
    await expect.poll(goodGrpc, { timeout: 10_000 }).toEqual({ ok: true });
  }, 120_000);
});
