/** Scenario 5: events end to end (ingest -> JetStream -> counting handler) vs raw JetStream publishing. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startNatsServer } from '@insights/registry/nats-server';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { emptyEventStream } from '../event-stream.ts';
import { BENCH_DIR, runJson, startInsightsNode } from '../procs.ts';
import { summarise } from '../stats.ts';
import type { Plan, Row } from './plan.ts';

const CLIENT = path.join(BENCH_DIR, 'clients', 'events.ts');

/** The counting handler end to end on a node of the given isolation: rates, ingest-alone rates, exact counts. */
async function measureEnd2End(
  isolation: string,
  n: number,
  runs: number,
  natsUrl: string,
): Promise<{ rates: number[]; ingestOnly: number[]; exact: boolean }> {
  const rates: number[] = [];
  const ingestOnly: number[] = [];
  let exact = true;
  await emptyEventStream(natsUrl);
  const node = await startInsightsNode(isolation, ['--module', path.join(BENCH_DIR, 'modules', 'count'), '--nats', natsUrl]);
  try {
    for (let r = 0; r < runs; r++) {
      const res = await runJson<{ rate: number; ingestRate: number; accepted: number; counted: number }>(CLIENT, [
        ...['--target', 'insights', '--address', String(node.ready.grpc), '--n', String(n), '--run', `${isolation}-${r}`],
      ]);
      rates.push(res.rate);
      ingestOnly.push(res.ingestRate);
      exact &&= res.accepted === n && res.counted === n;
    }
  } finally {
    await node.stop();
  }
  return { rates, ingestOnly, exact };
}

export async function run(plan: Plan, natsUrl: string, log: (s: string) => void): Promise<Row[]> {
  const n = plan.smoke ? 2000 : 100_000;
  const runs = plan.smoke ? 1 : 3;
  // The default first (a process sandbox, as `insights node` runs a module unless told otherwise), inline beside it.
  log('  5-events: insights ingest -> JetStream -> counting handler (default: process sandbox)');
  const ours = await measureEnd2End('default', n, runs, natsUrl);
  log('  5-events: the same, inline module');
  const inline = await measureEnd2End('inline', n, runs, natsUrl);
  const raw: number[] = [];
  log('  5-events: raw JetStream publish, one message per event');
  for (let r = 0; r < runs; r++)
    raw.push(
      (
        await runJson<{ rate: number }>(CLIENT, [
          '--target',
          'jetstream',
          '--nats',
          natsUrl,
          '--n',
          String(n),
          '--run',
          String(r),
        ])
      ).rate,
    );
  // What nats-server 2.12-2.14 offers for batch publishing, raw (ADR-50): atomic batches (what
  // nodes now send) and fast ingest, which drops re-sent ids without saying how many (not used).
  // One run of at most 20,000 events each: under per-write fsync these crawl, and they are context.
  const batchN = Math.min(n, 20_000);
  log('  5-events: raw JetStream atomic batches of 500');
  const atomic = await runJson<{ rate: number; stored: number }>(CLIENT, [
    ...['--target', 'jetstream-atomic', '--nats', natsUrl, '--n', String(batchN), '--run', '0'],
  ]);
  log('  5-events: raw JetStream fast-ingest batch');
  const fast = await runJson<{ rate: number; stored: number; resentAckCount: number; resentAckDuplicate: boolean }>(CLIENT, [
    ...['--target', 'jetstream-fast', '--nats', natsUrl, '--n', String(batchN), '--run', '0'],
  ]);
  // The shipped configs fsync before every acknowledgement (sync_interval: always): the same raw
  // publish against a server on its default two-minute sync shows what that durability costs.
  log('  5-events: raw JetStream publish, server on its default periodic sync');
  const lax = await startNatsServer({ sync: 'interval', auth: false });
  const rawLax: number[] = [];
  try {
    for (let r = 0; r < runs; r++)
      rawLax.push(
        (
          await runJson<{ rate: number }>(CLIENT, [
            '--target',
            'jetstream',
            '--nats',
            lax.url,
            '--n',
            String(n),
            '--run',
            String(r),
          ])
        ).rate,
      );
  } finally {
    await lax.stop();
  }
  const partitioned = await runPartitioned(n, runs, log);
  return [
    {
      scenario: '5-events',
      name: 'insights ingest -> JetStream -> counting handler',
      unit: 'events/s',
      ...summarise(ours.rates),
      note: `default (process sandbox); ${n} events per run, duplicate window on, counts ${ours.exact ? 'exact' : 'NOT exact'}`,
    },
    {
      scenario: '5-events',
      name: 'insights ingest alone (until every event is stored in JetStream)',
      unit: 'events/s',
      ...summarise(ours.ingestOnly),
      note: 'default (process sandbox)',
    },
    {
      scenario: '5-events',
      name: 'the same, inline module: end to end',
      unit: 'events/s',
      ...summarise(inline.rates),
      note: `counts ${inline.exact ? 'exact' : 'NOT exact'}; ingest alone ${Math.round(summarise(inline.ingestOnly).median)} events/s`,
    },
    {
      scenario: '5-events',
      name: 'raw JetStream publish, one message per event',
      unit: 'events/s',
      ...summarise(raw),
      note: 'sync_interval: always (fsync before each acknowledgement), as shipped',
    },
    {
      scenario: '5-events',
      name: 'raw JetStream atomic batches of 500 (ADR-50), one ack per batch',
      unit: 'events/s',
      ...summarise([atomic.rate]),
      note: `one run of ${batchN}, two batches in flight; ${atomic.stored === batchN ? 'every event stored once' : `NOT exact: ${atomic.stored} stored`}`,
    },
    {
      scenario: '5-events',
      name: 'raw JetStream fast-ingest batch (nats-server 2.14), acks every 500',
      unit: 'events/s',
      ...summarise([fast.rate]),
      note:
        fast.stored === batchN
          ? `one run of ${batchN} stored of ${batchN} sent twice; the re-send's ack: count ${fast.resentAckCount}, duplicate ${fast.resentAckDuplicate}`
          : `NOT exact: ${fast.stored} stored of ${batchN}`,
    },
    {
      scenario: '5-events',
      name: 'raw JetStream publish, server on its default periodic sync',
      unit: 'events/s',
      ...summarise(rawLax),
      note: 'what relaxing sync_interval buys (and risks: acknowledged events lost on a power loss)',
    },
    {
      scenario: '5-events',
      name: 'the same, handler partitioned by actor (8 partitions)',
      unit: 'events/s',
      ...summarise(partitioned.rates),
      note: `counts ${partitioned.exact ? 'exact' : 'NOT exact'}`,
    },
    {
      scenario: '5-events',
      name: 'JetStream deliveries per event to the partitioned handler',
      unit: 'reads/event',
      ...summarise([partitioned.readsPerEvent]),
      note: "sum of the 8 durables' delivered counters / events: 8 x pages / events since event pages (every partition reads each page of up to 500 events); 1 with keyed single events, 8 before keyed subjects",
    },
  ];
}

const PARTITIONS = 8;

/**
 * The counting handler partitioned by actor (bench/modules/count/by-actor.ts), on a NATS server of
 * its own so its durables read only these events; the reads come from the durables' counters.
 */
async function runPartitioned(
  n: number,
  runs: number,
  log: (s: string) => void,
): Promise<{ rates: number[]; exact: boolean; readsPerEvent: number }> {
  log('  5-events: the same, handler partitioned by actor');
  const nats = await startNatsServer({ auth: false });
  const config = path.join(mkdtempSync(path.join(tmpdir(), 'insights-bench-partitioned-')), 'node.json');
  // The embedded database splits keys across partitions only when asked (one node here).
  writeFileSync(config, JSON.stringify({ events: { splitWithEmbeddedDb: true } }));
  const rates: number[] = [];
  let exact = true;
  try {
    const node = await startInsightsNode('inline', [
      ...['--module', path.join(BENCH_DIR, 'modules', 'count', 'by-actor.ts')],
      ...['--nats', nats.url, '--config', config],
    ]);
    try {
      for (let r = 0; r < runs; r++) {
        const res = await runJson<{ rate: number; accepted: number; counted: number }>(CLIENT, [
          ...['--target', 'insights', '--address', String(node.ready.grpc)],
          ...['--n', String(n), '--run', String(r)],
        ]);
        rates.push(res.rate);
        exact &&= res.accepted === n && res.counted === n;
      }
    } finally {
      await node.stop();
    }
    const nc = await natsConnect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      let reads = 0;
      for (let p = 0; p < PARTITIONS; p++)
        reads += (await jsm.consumers.info('INSIGHTS_EVENTS', `h_count_count_events_p${p}`)).delivered.consumer_seq;
      return { rates, exact, readsPerEvent: reads / (n * runs) };
    } finally {
      await nc.close();
    }
  } finally {
    await nats.stop();
  }
}
