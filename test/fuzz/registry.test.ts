import path from 'node:path';
import fc from 'fast-check';
import { connect, type Mesh } from '@insights/client';
import { DEFAULT_BUCKET } from '@insights/registry';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';
import { fuzzParameters, fuzzTimeoutMs, hostileJson, mutated, startFuzzNode, type FuzzNode } from './support.ts';

const NODE_ID = 'fuzz-target';

describe.skipIf(NO_NATS)('fuzz - registry entries', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let fuzz: FuzzNode;
  let mesh: Mesh;
  const invalid: string[] = [];
  beforeAll(async () => {
    // An open NATS: these tests play a publisher that already got past NATS's own permissions
    // (a leaked node credential), to prove the node itself refuses what it receives.
    nats = await startNatsServer({ auth: false });
    fuzz = await startFuzzNode(['--id', NODE_ID, '--nats', nats.url, '--module', path.join(FIXTURE_MODULES, 'echo')]);
    nc = await natsConnect({ servers: nats.url });
    kv = await new Kvm(nc).create(DEFAULT_BUCKET);
    // This process watches the registry too: a client must survive what the node survives.
    mesh = await connect({ nats: nats.url, log: (_level, m) => invalid.push(m) });
  });
  afterAll(async () => {
    await mesh?.close();
    await fuzz?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it(
    'random and mutated advertisements and heartbeats of other ids: watchers ignore them, the node and a client keep working',
    async () => {
      const read = async (key: string) => {
        await expect.poll(async () => (await kv.get(key))?.operation, { timeout: 10_000 }).toBe('PUT');
        return (await kv.get(key))!.value;
      };
      const realAd = await read(`node.${fuzz.node.ready.id}`);
      const realBeat = await read(`alive.${fuzz.node.ready.id}`);
      // Other ids only: overwriting the node's own entry is the authenticated registry's part of issue 15.
      const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/).map((s) => `fz-${s}`);
      const entry = fc.record({
        key: fc.oneof(
          id.map((i) => `node.${i}`),
          id.map((i) => `alive.${i}`),
          fc.stringMatching(/^[A-Za-z0-9_=-]{1,12}(\.[A-Za-z0-9_=-]{1,12}){0,2}$/),
        ),
        value: fc.oneof(hostileJson, mutated(fc.constant(realAd)), mutated(fc.constant(realBeat))),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 5 }), async (entries) => {
          for (const e of entries) await kv.put(e.key, e.value);
        }),
        fuzzParameters(),
      );
      await fuzz.expectHealthy();
      fuzz.expectMemoryBounded();
      expect(await mesh.query['echo.course_report']!({ course: 'c1' })).toEqual({ course: 'c1' });
      expect(invalid.some((m) => /ignoring registry entry/.test(m))).toBe(true);
    },
    fuzzTimeoutMs(),
  );
});
