import path from 'node:path';
import { connect, generateMeshKeys, NodeConnection } from '@insights/client';
import { connect as natsConnect, nkeyAuthenticator } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { NO_NATS, startNatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

const INGEST_TOKEN = 'ingest-token-0123456789abcdef';
const event = (id: string) => ({ id, time: '2026-01-05T10:00:00Z', source: 'test', type: 'tick', payload: {} });

describe('security - ingest tokens and capabilities on every endpoint', () => {
  let node: TestNode;
  beforeAll(async () => {
    const keys = generateMeshKeys();
    node = await startTestNode({
      defaultIsolation: 'inline',
      modules: [path.join(SHIPPED_MODULES, 'examples'), path.join(FIXTURE_MODULES, 'counter')],
      ingest: { tokens: [INGEST_TOKEN] },
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
    });
  });
  afterAll(() => node.stop());

  it('ingest - HTTP and gRPC refuse events without the token (401/UNAUTHENTICATED) or with a wrong one (403)', async () => {
    const post = (token?: string) =>
      fetch(`http://${node.httpAddress}/events`, {
        method: 'POST',
        body: JSON.stringify(event(`h-${token ?? 'none'}`)),
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
    expect((await post()).status).toBe(401);
    expect((await post('not-the-token-000000')).status).toBe(403);
    expect(await (await post(INGEST_TOKEN)).json()).toMatchObject({ accepted: 1 });
    const conn = new NodeConnection(node.grpcAddress);
    await expect(conn.ingest([event('g-1')])).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(conn.ingest([event('g-2')], { token: 'not-the-token-000000' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    expect(await conn.ingest([event('g-3')], { token: INGEST_TOKEN })).toMatchObject({ accepted: 1 });
    conn.close();
  });

  it('capabilities - with capabilities required, HTTP refuses what gRPC refuses', async () => {
    const conn = new NodeConnection(node.grpcAddress);
    const call = { kind: 'query' as const, name: 'hello_user', args: { user: 'x' }, deadline: Date.now() + 5000 };
    const stream = await conn.call(call).catch((e: { code: string }) => e.code);
    const unary = await conn.callUnary(call).catch((e: { code: string }) => e.code);
    conn.close();
    const r = await fetch(`http://${node.httpAddress}/query/hello_user?user=x`);
    const http = ((await r.json()) as { error: { code: string } }).error.code;
    expect([stream, unary, http]).toEqual(['PERMISSION_DENIED', 'PERMISSION_DENIED', 'PERMISSION_DENIED']);
    expect(r.status).toBe(403);
    const forged = await fetch(`http://${node.httpAddress}/query/hello_user?user=x`, {
      headers: { authorization: 'Bearer ic1.forged.signature' },
    });
    expect([401, 403]).toContain(forged.status);
  });
});

describe.skipIf(NO_NATS)('security - NATS users of `insights keys nats`: each user gets only its subjects', () => {
  it('nats - a node, a client and a platform with their own nkeys; a client cannot touch events or streams, a platform cannot read the registry', async () => {
    const tmp = await tempDir();
    // What an operator runs once for a mesh: accounts.conf for every server, a seed file per user.
    const made = await runCli(['keys', 'nats', '--out', tmp.dir]);
    expect(made.code, made.stderr).toBe(0);
    const users = {
      seeds: {
        node: path.join(tmp.dir, 'node.nk'),
        client: path.join(tmp.dir, 'client.nk'),
        ingest: path.join(tmp.dir, 'ingest.nk'),
      },
    };
    const nats = await startNatsServer({ auth: false, extraConfig: readFileSync(path.join(tmp.dir, 'accounts.conf'), 'utf8') });
    const seed = (who: 'node' | 'client' | 'ingest') => new TextEncoder().encode(readFileSync(users.seeds[who], 'utf8').trim());
    let node: TestNode | undefined;
    try {
      node = await startTestNode({
        id: 'secured',
        nats: { servers: nats.url, nkeySeedFile: users.seeds.node },
        defaultIsolation: 'inline',
        registry: { ttlMs: 1500 },
        modules: [path.join(SHIPPED_MODULES, 'examples'), path.join(FIXTURE_MODULES, 'counter')],
      });
      // Nodes create the registry bucket (clients may only read it): wait until this one is in it.
      await expect.poll(async () => (await fetch(`http://${node!.httpAddress}/readyz`)).status, { timeout: 10_000 }).toBe(200);
      // A researcher's client: discovers through the registry and calls.
      const mesh = await connect({ nats: { servers: nats.url, nkeySeedFile: users.seeds.client }, discoveryTimeoutMs: 5000 });
      await expect
        .poll(() => mesh.query.hello_user!({ user: 'nk' }).catch((e: Error) => e.message), { timeout: 10_000 })
        .toBe('Hello, nk!');
      await mesh.close();
      // A platform publishes raw events to the ingest subject and gets the report back.
      const platform = await natsConnect({ servers: nats.url, authenticator: nkeyAuthenticator(seed('ingest')) });
      const reply = await platform.request(
        'insights.ingest',
        new TextEncoder().encode(JSON.stringify([event('n-1'), event('n-2')])),
        { timeout: 10_000 },
      );
      expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ accepted: 2 });
      // ...and may not read the registry.
      await expect(
        platform.request('$JS.API.STREAM.INFO.KV_insights-registry', new Uint8Array(), { timeout: 2000 }),
      ).rejects.toThrow();
      await platform.close();
      // A client may not delete streams or publish events directly.
      const client = await natsConnect({ servers: nats.url, authenticator: nkeyAuthenticator(seed('client')) });
      await expect(
        client.request('$JS.API.STREAM.DELETE.INSIGHTS_EVENTS', new Uint8Array(), { timeout: 2000 }),
      ).rejects.toThrow();
      await expect(
        client.request('insights.events.test.tick', new TextEncoder().encode('{}'), { timeout: 2000 }),
      ).rejects.toThrow();
      await client.close();
      // No key, no entry.
      await expect(natsConnect({ servers: nats.url, maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow();
    } finally {
      await node?.stop();
      await nats.stop();
      await tmp.remove();
    }
  });
});
