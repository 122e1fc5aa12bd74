import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import * as http2 from 'node:http2';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromGrpcError, insightsClientConstructor, kindToWire, SERVICE_NAME } from '@insights/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';
import { RawNode } from '../fuzz/raw-node.ts';
import { H2, RawHttp2 } from './raw-http2.ts';

const STREAMS = 4;
const METADATA_BYTES = 1024;
const PINGS_PER_SECOND = 20;

type UnaryClient = grpc.Client & {
  Call(req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
};

describe('limits - HTTP/2 on the gRPC port (issue 15)', () => {
  let node: NodeProcess;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
    const config = path.join(tmp.dir, 'node.json');
    const limits = {
      maxConcurrentStreams: STREAMS,
      maxMetadataBytes: METADATA_BYTES,
      keepaliveTimeMs: 1000,
      keepaliveTimeoutMs: 1000,
      maxPingsPerSecond: PINGS_PER_SECOND,
    };
    await writeFile(config, JSON.stringify({ dataDir: path.join(tmp.dir, 'data'), limits }));
    node = await spawnNode(['-c', config, '--isolation', 'inline', '--module', path.join(FIXTURE_MODULES, 'echo')]);
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    await tmp?.remove();
  });

  const served = async () => {
    const raw = new RawNode(node.ready.grpc);
    try {
      return await raw.call({ kind: kindToWire('query'), name: 'echo.course_report', argsJson: Buffer.from('{"course":"c"}') });
    } finally {
      raw.close();
    }
  };

  it('a peer that ignores SETTINGS_MAX_CONCURRENT_STREAMS gets every stream beyond the limit refused; others are served', async () => {
    const peer = new RawHttp2(node.ready.grpc);
    try {
      const ids = Array.from({ length: STREAMS + 6 }, (_, i) => 2 * i + 1);
      for (const id of ids) peer.openStream(id, `/${SERVICE_NAME}/CallStream`, node.ready.grpc);
      await expect.poll(() => peer.resets().size, { timeout: 20_000 }).toBe(6);
      expect(peer.setting(H2.MAX_CONCURRENT_STREAMS)).toBe(STREAMS);
      // The first STREAMS stay open; each one past them is refused (REFUSED_STREAM: safe to retry).
      expect([...peer.resets()]).toEqual(ids.slice(STREAMS).map((id) => [id, H2.REFUSED_STREAM]));
      expect(peer.closed).toBe(false);
      expect(await served()).toEqual({ ok: true });
    } finally {
      peer.close();
    }
  }, 60_000);

  it('a well-behaved client with more calls in flight than the limit is served: its calls wait for a free stream', async () => {
    const raw = new RawNode(node.ready.grpc);
    try {
      const answers = await Promise.all(
        Array.from({ length: 5 * STREAMS }, () =>
          raw.call({ kind: kindToWire('query'), name: 'echo.course_report', argsJson: Buffer.from('{"course":"c"}') }),
        ),
      );
      expect(answers.filter((a) => !a.ok)).toEqual([]);
    } finally {
      raw.close();
    }
  }, 60_000);

  it('a peer that stops answering keepalive pings is disconnected (its connection slot comes back)', async () => {
    const gone = new RawHttp2(node.ready.grpc, { answerPings: false });
    const alive = new RawHttp2(node.ready.grpc);
    try {
      await expect.poll(() => gone.closed, { timeout: 30_000 }).toBe(true);
      expect(gone.frames.some((f) => f.type === H2.PING)).toBe(true);
      // A peer that answers its pings stays, however long it is idle.
      await expect.poll(() => alive.frames.filter((f) => f.type === H2.PING).length, { timeout: 30_000 }).toBeGreaterThan(2);
      expect(alive.closed).toBe(false);
    } finally {
      gone.close();
      alive.close();
    }
  }, 60_000);

  it('metadata larger than limits.maxMetadataBytes is refused RESOURCE_EXHAUSTED naming the limit', async () => {
    const client = new (insightsClientConstructor())(
      node.ready.grpc,
      grpc.credentials.createInsecure(),
    ) as unknown as UnaryClient;
    const call = (md: grpc.Metadata) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        client.Call(
          { kind: kindToWire('query'), name: 'echo.course_report', argsJson: Buffer.from('{"course":"c"}'), capability: '' },
          md,
          { deadline: Date.now() + 10_000 },
          resolve,
        ),
      );
    try {
      const big = new grpc.Metadata();
      big.set('x-padding', 'a'.repeat(METADATA_BYTES));
      const refused = await call(big);
      expect(refused).not.toBeNull();
      expect(fromGrpcError(refused!)).toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: /limits\.maxMetadataBytes is 1024/ });
      const small = new grpc.Metadata();
      small.set('x-padding', 'a'.repeat(100));
      expect(await call(small)).toBeNull();
      const metrics = await (await fetch(`http://${node.ready.http}/metrics`)).text();
      expect(metrics).toMatch(/insights_input_refused_total\{entry="grpc-metadata",limit="maxMetadataBytes",node="[^"]+"\} 1/);
    } finally {
      client.close();
    }
  }, 60_000);

  it('a peer flooding PING frames is disconnected past limits.maxPingsPerSecond, counted; keepalive pings and other clients are fine', async () => {
    const flooder = http2.connect(`http://${node.ready.grpc}`, { maxOutstandingPings: 100_000 });
    flooder.on('error', () => {});
    // Answers the node's keepalive pings (every second here) and pings nobody: it must stay.
    const quiet = new RawHttp2(node.ready.grpc);
    let pinger: NodeJS.Timeout | undefined;
    try {
      await once(flooder, 'connect');
      pinger = setInterval(() => {
        for (let i = 0; i < PINGS_PER_SECOND && !flooder.destroyed; i++) flooder.ping(() => {});
      }, 10);
      await expect.poll(() => flooder.closed || flooder.destroyed, { timeout: 20_000 }).toBe(true);
      expect(await served()).toEqual({ ok: true });
      expect(quiet.closed).toBe(false);
      const metrics = await (await fetch(`http://${node.ready.http}/metrics`)).text();
      expect(metrics).toMatch(/insights_input_refused_total\{entry="grpc-connection",limit="maxPingsPerSecond",node="[^"]+"\} 1/);
    } finally {
      clearInterval(pinger);
      flooder.destroy();
      quiet.close();
    }
  }, 60_000);
});
