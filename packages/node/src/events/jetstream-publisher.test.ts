import { natsServerAvailable, startNatsServer, type NatsServer } from '@insights/registry/nats-server';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from './jetstream-publisher.ts';

describe.skipIf(!natsServerAvailable())('JetStreamPublisher (real nats-server)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let publisher: JetStreamPublisher;
  const data = new TextEncoder().encode('{}');

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect(nats.connectOptions('admin'));
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PUBTEST', subjects: ['pubtest.>'], duplicate_window: 60e9 });
    publisher = new JetStreamPublisher(nc);
  });
  afterAll(async () => {
    publisher.close();
    await nc.close();
    await nats.stop();
  });

  it('stores messages, and reports a re-sent id as a duplicate', async () => {
    const first = await publisher.publish('pubtest.a', data, 'id-1');
    expect(first).toMatchObject({ stream: 'PUBTEST', duplicate: false });
    const again = await publisher.publish('pubtest.a', data, 'id-1');
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
  });

  it('keeps thousands in flight, each acknowledged with its own sequence', async () => {
    const acks = await Promise.all(Array.from({ length: 5000 }, (_, i) => publisher.publish('pubtest.b', data, `bulk-${i}`)));
    expect(new Set(acks.map((a) => a.seq)).size).toBe(5000);
    const info = await (await jetstreamManager(nc)).streams.info('PUBTEST');
    expect(info.state.messages).toBe(5001);
  });

  it('a subject no stream stores is refused with UNAVAILABLE naming it', async () => {
    await expect(publisher.publish('nowhere.x', data, 'id-2')).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('nowhere.x'),
    });
  });

  it('flow control - room() waits while the window of unacknowledged publishes is full', async () => {
    const small = new JetStreamPublisher(nc, 10_000, 2);
    try {
      const first = [small.publish('pubtest.c', data, 'w-1'), small.publish('pubtest.c', data, 'w-2')];
      expect(small.outstanding).toBe(2);
      let admitted = false;
      const room = small.room().then(() => (admitted = true));
      await Promise.resolve();
      expect(admitted).toBe(false);
      await Promise.all(first);
      await room;
      expect(small.outstanding).toBe(0);
    } finally {
      small.close();
    }
  });

  it('flow control - large messages fill the window by bytes', async () => {
    const small = new JetStreamPublisher(nc, 10_000, 100, 1000);
    try {
      const big = small.publish('pubtest.d', new Uint8Array(1500), 'b-1');
      let admitted = false;
      const room = small.room().then(() => (admitted = true));
      await Promise.resolve();
      expect(admitted).toBe(false);
      await big;
      await room;
    } finally {
      small.close();
    }
  });
});
