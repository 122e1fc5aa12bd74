import path from 'node:path';
import fc from 'fast-check';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';
import { RawNode } from './raw-node.ts';
import { expectCoded, fuzzParameters, fuzzTimeoutMs, hostileJson, mutated, startFuzzNode, type FuzzNode } from './support.ts';

const SUBJECT = 'insights.events.test.tick';
const encode = (v: unknown) => Buffer.from(JSON.stringify(v));
/** Hostile envelopes start from this one: its source is not the counter's, so none of them may count. */
const BASE = { id: 'x', time: '2026-01-05T10:00:00Z', source: 'fuzzsrc', type: 'tick', payload: {}, raw: {} };
const hostileEnvelope = fc.oneof(
  hostileJson,
  mutated(fc.constant(new Uint8Array(encode(BASE)))),
  fc
    .record({
      id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      time: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 2 })),
      source: fc.oneof(fc.constant('fuzzsrc'), fc.integer(), fc.constant({})),
      type: fc.oneof(fc.string(), fc.boolean()),
      payload: fc.jsonValue({ maxDepth: 3 }),
      hops: fc.oneof(fc.integer(), fc.string(), fc.double()),
    })
    .map(encode),
);
/** Lines as an edX tracking log holds them (the import path: `insights events import`), to be mutated. */
const TRACKING_LINES = [
  '{"username": "", "event_source": "server", "name": "edx.user.settings.changed", "time": "2016-05-13T14:40:33.503255+00:00", "context": {}, "event": {"user_id": 1, "setting": "password"}, "event_type": "edx.user.settings.changed"}',
  '{"username": "ada", "event_source": "browser", "time": "2016-05-13T15:10:11.311722+00:00", "context": {"course_id": "course-v1:edX+DemoX+Demo_Course", "user_id": 2}, "event": "{\\"id\\": \\"i4x-edX-DemoX-video-1\\", \\"currentTime\\": 12.5}", "event_type": "play_video", "page": "https://lms/courses/x"}',
].map((l) => new Uint8Array(Buffer.from(l)));

describe.skipIf(NO_NATS)('fuzz - events (envelopes on NATS, tracking-log lines at ingest)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let fuzz: FuzzNode;
  let raw: RawNode;
  beforeAll(async () => {
    // An open NATS: these tests play a publisher that already got past NATS's own permissions
    // (a leaked node credential), to prove the node itself refuses what it receives.
    nats = await startNatsServer({ auth: false });
    nc = await natsConnect({ servers: nats.url });
    fuzz = await startFuzzNode([
      '--nats',
      nats.url,
      '--module',
      path.join(FIXTURE_MODULES, 'counter'),
      '--module',
      path.join(SHIPPED_MODULES, 'edx'),
    ]);
    raw = new RawNode(fuzz.node.ready.grpc);
    // The ready line comes once the event streams exist (test/events/ready-line.test.ts); kept as a guard.
    const jsm = await jetstreamManager(nc);
    await vi.waitFor(() => jsm.streams.find(SUBJECT), { timeout: 30_000, interval: 100 });
  });
  afterAll(async () => {
    raw?.close();
    await fuzz?.stop();
    await nc?.close();
    await nats?.stop();
  });

  const count = async () => (await (await fetch(`http://${fuzz.node.ready.http}/query/counter.count`)).json()) as number;

  it(
    'random and mutated envelopes on the events subject: the node stays up and counts exactly the good events around them',
    async () => {
      const js = jetstream(nc);
      let good = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(hostileEnvelope, { minLength: 1, maxLength: 5 }), async (messages) => {
          for (const m of messages) await js.publish(SUBJECT, m);
          const id = `good-${good++}`;
          await js.publish(SUBJECT, encode({ ...BASE, id, source: 'test' }), { msgID: id });
        }),
        fuzzParameters(),
      );
      await expect.poll(count, { timeout: 60_000, interval: 250 }).toBe(good);
      await fuzz.expectHealthy();
      fuzz.expectMemoryBounded();
      const metrics = await (await fetch(`http://${fuzz.node.ready.http}/metrics`)).text();
      expect(metrics).toMatch(/insights_events_rejected_total\{handler="[^"]*count_all[^"]*",node="[^"]+"\} [1-9]/);
    },
    fuzzTimeoutMs(5 * 3),
  );

  it(
    'random and mutated tracking-log lines at ingest: answered with per-line rejections or a coded error',
    async () => {
      const line = fc.oneof(mutated(fc.constantFrom(...TRACKING_LINES)), hostileJson);
      await fc.assert(
        fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 20 }), async (lines) => {
          expectCoded(await raw.ingest(lines), 'Ingest');
        }),
        fuzzParameters(),
      );
      await fuzz.expectHealthy();
      fuzz.expectMemoryBounded();
    },
    fuzzTimeoutMs(),
  );
});
