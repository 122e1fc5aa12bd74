import { connect, local } from '@insights/client';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import chain from '../fixtures/modules/chain/index.ts';
import { NO_NATS, startNatsServer } from '../support/nats.ts';
import { startTestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

const ev = (id: string, type: string) => ({ id, time: '2026-01-05T10:00:00Z', source: 'test', type, actor: 'ada', payload: {} });

describe('events - chaining with ctx.emit, loops cut by the hop limit', () => {
  it('in local mode', async () => {
    const mesh = await local({ modules: [chain] });
    try {
      await mesh.events.ingest([ev('a1', 'answer'), ev('a2', 'answer'), ev('p1', 'ping')]);
      expect(await mesh.query.derived!()).toBe(2);
      // ping (hop 0) and echoes at hops 1..8; the ninth is dropped.
      expect(await mesh.query.echoes!()).toBe(9);
    } finally {
      await mesh.close();
    }
  });

  it.skipIf(NO_NATS)('through JetStream on a node', async () => {
    const nats = await startNatsServer();
    const node = await startTestNode({
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      modules: [path.join(FIXTURE_MODULES, 'chain')],
    });
    const mesh = await connect({ nodes: [node.grpcAddress] });
    try {
      await node.events.ingest([ev('a1', 'answer'), ev('a2', 'answer'), ev('p1', 'ping')], {
        waitForHandlers: true,
        timeoutMs: 20_000,
      });
      await expect.poll(() => mesh.query.derived!(), { timeout: 10_000 }).toBe(2);
      await expect.poll(() => mesh.query.echoes!(), { timeout: 10_000 }).toBe(9);
    } finally {
      await mesh.close();
      await node.stop();
      await nats.stop();
    }
  });
});
