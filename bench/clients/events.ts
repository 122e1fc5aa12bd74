/**
 * Events end to end: stream N envelopes into a node (gRPC IngestStream), then wait until the
 * counting handler has recorded all N; or, as the baseline, publish N messages straight to
 * JetStream (one per event, acknowledged).
 */
import { connect, NodeConnection } from '@insights/client';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    target: { type: 'string' },
    address: { type: 'string' },
    nats: { type: 'string' },
    n: { type: 'string' },
    run: { type: 'string', default: '0' },
  },
});
const n = Number(o.n);
const run = o.run;
const envelope = (i: number) => ({
  id: `r${run}-${i}`,
  time: '2026-01-05T10:00:00.000Z',
  source: 'bench',
  type: 'bench.tick',
  actor: `u${i % 1000}`,
  payload: { i },
});

if (o.target === 'jetstream') {
  const nc = await natsConnect({ servers: o.nats });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: `RAW${run}`, subjects: [`raw${run}.>`], duplicate_window: 120e9 }).catch(() => {});
  const t = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: 512 }, async () => {
      while (next < n) {
        const i = next++;
        await js.publish(`raw${run}.bench.tick`, new TextEncoder().encode(JSON.stringify(envelope(i))), {
          msgID: `r${run}-${i}`,
        });
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  await nc.close();
  process.stdout.write(`${JSON.stringify({ rate: n / secs })}\n`);
} else {
  const conn = new NodeConnection(o.address!);
  const mesh = await connect({ nodes: [o.address!] });
  const before = (await mesh.query.count!()) as number;
  const t = process.hrtime.bigint();
  const stream = await conn.ingestStream();
  const enc = new TextEncoder();
  for (let i = 0; i < n; i += 1000) {
    const chunk = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) chunk.push(enc.encode(JSON.stringify(envelope(k))));
    if (!stream.write(chunk)) await new Promise((r) => stream.stream.once('drain', r));
  }
  const r = await stream.end();
  // Every event is stored in JetStream once the node has answered: the ingest stage alone.
  const ingestSecs = Number(process.hrtime.bigint() - t) / 1e9;
  while (((await mesh.query.count!()) as number) < before + n) await new Promise((res) => setTimeout(res, 20));
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const count = ((await mesh.query.count!()) as number) - before;
  await mesh.close();
  conn.close();
  process.stdout.write(
    `${JSON.stringify({ rate: n / secs, ingestRate: n / ingestSecs, accepted: r.accepted, counted: count })}\n`,
  );
}
process.exit(0);
