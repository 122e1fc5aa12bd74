import path from 'node:path';
import { connect } from '@insights/client';
import { connect as natsConnect, nkeyAuthenticator } from 'nats';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeNatsUsers } from '../../deploy/scripts/nats-users.ts';
import { NO_NATS, startNatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { REPO_ROOT, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

/**
 * The audit stream takes records from nodes only: under deploy/nats/accounts.conf the node user
 * publishes `insights.audit.>`, and neither a client nor a platform can (modules have no NATS
 * connection at all). Forged records would make the trail worthless.
 */
describe.skipIf(NO_NATS)('audit trail - only nodes can write it (NATS accounts)', () => {
  it('nats - the node records calls; a client and a platform cannot publish audit records', async () => {
    const tmp = await tempDir();
    const users = writeNatsUsers(tmp.dir);
    const accounts = readFileSync(path.join(REPO_ROOT, 'deploy', 'nats', 'accounts.conf'), 'utf8').replace(
      'include "users.conf"',
      readFileSync(users.usersConf, 'utf8'),
    );
    const nats = await startNatsServer({ extraConfig: accounts });
    const seed = (who: 'node' | 'client' | 'ingest') => new TextEncoder().encode(readFileSync(users.seeds[who], 'utf8').trim());
    let node: TestNode | undefined;
    try {
      node = await startTestNode({
        id: 'audited',
        nats: { servers: nats.url, nkeySeedFile: users.seeds.node },
        defaultIsolation: 'inline',
        modules: [path.join(SHIPPED_MODULES, 'examples')],
      });
      const mesh = await connect({ nodes: [node.grpcAddress] });
      expect(await mesh.query.hello_user!({ user: 'a' })).toBe('Hello, a!');
      await mesh.close();
      // The node's record is in the stream (read with the node's own key: clients cannot read it either).
      const asNode = await natsConnect({ servers: nats.url, authenticator: nkeyAuthenticator(seed('node')) });
      const jsm = await asNode.jetstreamManager();
      await expect
        .poll(async () => (await jsm.streams.info('INSIGHTS_AUDIT').catch(() => undefined))?.state.messages ?? 0, {
          timeout: 10_000,
        })
        .toBe(1);
      await asNode.close();
      for (const who of ['client', 'ingest'] as const) {
        const nc = await natsConnect({ servers: nats.url, authenticator: nkeyAuthenticator(seed(who)) });
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
      await tmp.remove();
    }
  }, 60_000);
});
