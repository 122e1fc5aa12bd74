import path from 'node:path';
import { connect } from '@insights/client';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';

/**
 * The audit stream takes records from nodes only: under the mesh's NATS users (createMeshNatsAuth,
 * what `insights keys nats` writes) the node user publishes `insights.audit.>`, and neither a
 * client nor an ingester can (modules have no NATS connection at all). Forged records would make
 * the trail worthless.
 */
describe.skipIf(NO_NATS)('audit trail - only nodes can write it (NATS accounts)', () => {
  it('nats - the node records calls; a client and a platform cannot publish audit records', async () => {
    const nats = await startNatsServer();
    let node: TestNode | undefined;
    try {
      node = await startTestNode({
        id: 'audited',
        nats: nats.as('node'),
        defaultIsolation: 'inline',
        modules: [path.join(SHIPPED_MODULES, 'examples')],
      });
      const mesh = await connect({ nodes: [node.grpcAddress] });
      expect(await mesh.query.hello_user!({ user: 'a' })).toBe('Hello, a!');
      await mesh.close();
      // The node's record is in the stream (read with the node's own key: clients cannot read it either).
      const asNode = await natsConnect(nats.connectOptions('node'));
      const jsm = await jetstreamManager(asNode);
      await expect
        .poll(async () => (await jsm.streams.info('INSIGHTS_AUDIT').catch(() => undefined))?.state.messages ?? 0, {
          timeout: 10_000,
        })
        .toBe(1);
      await asNode.close();
      for (const who of ['client', 'ingest'] as const) {
        const nc = await natsConnect(nats.connectOptions(who));
        const forged = new TextEncoder().encode(JSON.stringify({ v: 1, analytic: 'examples.hello_user', who: 'nobody' }));
        await expect(nc.request('insights.audit.audited', forged, { timeout: 2000 }), who).rejects.toThrow();
        await expect(
          nc.request('$JS.API.STREAM.INFO.INSIGHTS_AUDIT', new Uint8Array(), { timeout: 2000 }),
          who,
        ).rejects.toThrow();
        await nc.close();
      }
    } finally {
      await node?.stop();
      await nats.stop();
    }
  }, 60_000);
});
