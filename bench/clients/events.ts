/**
 * Events end to end: stream N envelopes into a node (gRPC IngestStream), then wait until the
 * counting handler has recorded all N; or, as the baseline, publish N messages straight to
 * JetStream (one per event, acknowledged), in atomic batches, or in one fast-ingest batch.
 */
import { connect, NodeConnection } from '@insights/client';
import { connect as natsConnect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startFastIngest } from '@nats-io/jetstream/internal';
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
} else if (o.target === 'jetstream-atomic') {
  // Atomic batches of 500 (ADR-50), two in flight, as a node sends them: one acknowledgement per batch.
  const nc = await natsConnect({ servers: o.nats });
  const jsm = await jetstreamManager(nc);
  const stream = `ATOMIC${run}`;
  await jsm.streams.add({ name: stream, subjects: [`atomic${run}.>`], duplicate_window: 120e9, allow_atomic: true });
  const enc = new TextEncoder();
  const t = process.hrtime.bigint();
  let next = 0;
  let batches = 0;
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (next < n) {
        const from = next;
        const to = Math.min(n, from + 500);
        next = to;
        const id = `b${run}-${batches++}`;
        for (let i = from; i < to; i++) {
          const h = natsHeaders();
          h.set('Nats-Msg-Id', `r${run}-${i}`);
          h.set('Nats-Batch-Id', id);
          h.set('Nats-Batch-Sequence', String(i - from + 1));
          const data = enc.encode(JSON.stringify(envelope(i)));
          if (i < to - 1) nc.publish(`atomic${run}.bench.tick`, data, { headers: h });
          else {
            h.set('Nats-Batch-Commit', '1');
            const ack = (await nc.request(`atomic${run}.bench.tick`, data, { headers: h, timeout: 30_000 })).json<{
              count?: number;
            }>();
            if (ack.count !== to - from) throw new Error(`atomic batch not stored: ${JSON.stringify(ack)}`);
          }
        }
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const stored = (await jsm.streams.info(stream)).state.messages;
  await nc.close();
  process.stdout.write(`${JSON.stringify({ rate: n / secs, stored })}\n`);
} else if (o.target === 'jetstream-fast') {
  // One fast-ingest batch (nats-server 2.14, nats.js's startFastIngest), then the same ids again:
  // the server drops the copies, and its final acknowledgement says how many were sent, not stored.
  const nc = await natsConnect({ servers: o.nats });
  const jsm = await jetstreamManager(nc);
  const stream = `FAST${run}`;
  await jsm.streams.add({ name: stream, subjects: [`fast${run}.>`], duplicate_window: 120e9, allow_batched: true });
  const enc = new TextEncoder();
  const subject = `fast${run}.bench.tick`;
  const publishAll = async () => {
    const data = (i: number) => enc.encode(JSON.stringify(envelope(i)));
    const fi = await startFastIngest(nc, subject, data(0), { allowGaps: false, ackInterval: 500, msgID: `r${run}-0` });
    for (let i = 1; i < n; i++) await fi.add(subject, data(i), { msgID: `r${run}-${i}` });
    return fi.end();
  };
  const t = process.hrtime.bigint();
  const first = await publishAll();
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const again = await publishAll();
  const stored = (await jsm.streams.info(stream)).state.messages;
  await nc.close();
  process.stdout.write(
    `${JSON.stringify({ rate: n / secs, stored, firstAckCount: first.count, resentAckCount: again.count, resentAckDuplicate: (again as { duplicate?: boolean }).duplicate === true })}\n`,
  );
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
