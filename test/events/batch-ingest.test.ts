import { NodeConnection } from '@insights/client';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { tempDir } from '../support/tmp.ts';

const tally = path.join(import.meta.dirname, '..', 'ops', 'fixtures', 'tally');
const STREAM = 'INSIGHTS_EVENTS';

const events = (ids: readonly string[]) =>
  ids.map((id) => ({ id, time: '2026-01-05T10:00:00Z', source: 'test', type: 'tick', payload: { user: id.length } }));
const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);

/**
 * Ingest in JetStream atomic batches (nats-server 2.12.1+): a node publishes each ingested chunk
 * as batches of up to 500 events with one acknowledgement each, keeping the per-event duplicate
 * window. Here through a real node and nats-server: counts exact with duplicates, and across a
 * server restart in the middle of an ingest.
 */
describe.skipIf(NO_NATS)('events - ingest in atomic batches', () => {
  let store: Awaited<ReturnType<typeof tempDir>>;
  let nats: NatsServer;
  let node: TestNode;
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  let conn: NodeConnection;
  const stored = async () => (await jsm.streams.info(STREAM)).state.messages;
  const tallied = async () => {
    const r = await conn.call({ kind: 'query', name: 'tally.tally', args: {}, deadline: Date.now() + 5000 });
    return (r.type === 'json' ? r.value : undefined) as { distinct: number; deliveries: number };
  };

  beforeAll(async () => {
    store = await tempDir('insights-batch-nats-');
    nats = await startNatsServer({ storeDir: store.dir });
    // Single events in atomic batches: pages (the default, pages.test.ts) would carry these many to a message.
    node = await startTestNode({
      id: 'batcher',
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      modules: [tally],
      events: { pages: false },
    });
    expect(await node.events.untilFlowing(15_000)).toBe(true);
    admin = await natsConnect({ ...nats.connectOptions('admin'), maxReconnectAttempts: -1 });
    jsm = await jetstreamManager(admin);
    conn = new NodeConnection(node.grpcAddress);
  }, 30_000);

  afterAll(async () => {
    conn?.close();
    await node?.stop();
    await admin?.close();
    await nats?.stop();
    await store?.remove();
  });

  it('batch ingest - events re-sent and repeated within a request are stored once, reported and counted exactly', async () => {
    expect((await jsm.streams.info(STREAM)).config.allow_atomic).toBe(true);
    expect(await conn.ingest(events(range('t', 0, 1200)))).toMatchObject({ accepted: 1200, duplicates: 0 });
    // 600 already stored, 800 new, one of them twice.
    const again = [...range('t', 600, 2000), 't-1500'];
    expect(await conn.ingest(events(again))).toMatchObject({ accepted: 1401, duplicates: 601 });
    expect(await stored()).toBe(2000);
    // Stored by batches: the server keeps each message's batch headers.
    expect((await jsm.streams.getMessage(STREAM, { seq: 1 }))?.header.get('Nats-Batch-Id')).not.toBe('');
    await expect.poll(tallied, { timeout: 20_000 }).toEqual({ distinct: 2000, deliveries: 2000 });
  }, 60_000);

  it('batch ingest - a server restart in the middle loses nothing and duplicates nothing (the importer retries; dedup holds)', async () => {
    const before = await stored();
    const batch = events(range('r', 0, 6000));
    const ingestUntilDone = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await conn.ingest(batch, { timeoutMs: 60_000 });
        } catch (e) {
          if (attempt >= 5) throw e;
        }
      }
    };
    const ingesting = ingestUntilDone();
    // Cut it while batches are in flight: some stored, not all.
    await expect.poll(stored, { timeout: 30_000, interval: 20 }).toBeGreaterThan(before);
    expect(await stored()).toBeLessThan(before + 6000);
    await nats.stop({ keepStore: true });
    nats = await startNatsServer({ storeDir: store.dir, port: nats.port, auth: nats.auth });
    await ingesting;
    await expect.poll(stored, { timeout: 30_000 }).toBe(before + 6000);
    // Everything once more: nothing new.
    expect(await conn.ingest(batch, { timeoutMs: 60_000 })).toMatchObject({ accepted: 6000, duplicates: 6000 });
    expect(await stored()).toBe(before + 6000);
    await expect.poll(tallied, { timeout: 30_000 }).toEqual({ distinct: 2000 + 6000, deliveries: 2000 + 6000 });
  }, 120_000);
});
