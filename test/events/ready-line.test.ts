import path from 'node:path';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { NO_NATS, natsEnv, startNatsServer, type NatsServer } from '../support/nats.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

/**
 * Whoever reads a node's ready line may publish events at once: the line comes after the event
 * streams and the handlers' consumers exist (it once came when the node listened, and a first
 * publish could meet "no responders"), and /readyz holds back until then too.
 */
describe.skipIf(NO_NATS)('events - the ready line means events flow', () => {
  let nats: NatsServer;
  let node: NodeProcess;
  beforeAll(async () => {
    nats = await startNatsServer();
    node = await spawnNode(
      ['--nats', nats.url, '--isolation', 'inline', '--module', path.join(FIXTURE_MODULES, 'counter')],
      natsEnv(nats, 'node'),
    );
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    await nats?.stop();
  });

  it('a publish right after the ready line is stored, and /readyz is ready', async () => {
    expect((node.ready as unknown as { events: string }).events).toBe('flowing');
    const nc = await natsConnect(nats.connectOptions('node'));
    try {
      const ack = await jetstream(nc).publish(
        'insights.events.test.tick',
        JSON.stringify({ id: 'first', time: '2026-01-05T10:00:00Z', source: 'test', type: 'tick', payload: {}, raw: {} }),
      );
      expect(ack.seq).toBeGreaterThan(0);
    } finally {
      await nc.close();
    }
    const ready = (await (await fetch(`http://${node.ready.http}/readyz`)).json()) as { checks: Record<string, unknown> };
    expect(ready.checks.nats).toBe(true);
  });
});
