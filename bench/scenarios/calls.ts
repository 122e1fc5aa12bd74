/**
 * Scenarios 1-4: call throughput, serial latency, isolation cost, large results. The headline
 * rows of 1 and 2 are the default configuration (no isolation option: a process sandbox, under
 * bubblewrap where available), with the inline module beside them.
 */
import path from 'node:path';
import { probeKernelSandbox } from '@insights/sandbox';
import { BENCH_DIR, runJson, startInsightsNode, startServer, type Server } from '../procs.ts';
import { summarise } from '../stats.ts';
import { DEFAULT_ROW, DEPLOYED_ROW, type Plan, type Row } from './plan.ts';

const LOAD = path.join(BENCH_DIR, 'clients', 'load.ts');
const ECHO_MODULE = path.join(BENCH_DIR, 'modules', 'echo');

type Throughput = { throughput: number[] };
type Latency = { latency: { p50: number; p99: number; n: number }[] };

function loadArgs(plan: Plan, target: string, address: string, extra: string[] = []): string[] {
  return [
    '--target',
    target,
    '--address',
    address,
    '--duration',
    String(plan.durationMs),
    '--runs',
    String(plan.runs),
    '--warmup',
    String(plan.warmupMs),
    ...extra,
  ];
}

async function withServer<T>(start: () => Promise<Server>, fn: (s: Server) => Promise<T>): Promise<T> {
  const s = await start();
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/** Starts every baseline server once; each measurement runs against them in turn. */
export async function callScenarios(plan: Plan, natsUrl: string, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const grpcEcho = (payload?: string) => () =>
    startServer(path.join(BENCH_DIR, 'servers', 'grpc-echo.ts'), [], payload ? { BENCH_PAYLOAD: payload } : {});
  const node = (isolation: string) => () => startInsightsNode(isolation, ['--module', ECHO_MODULE]);
  const deployed = () => startInsightsNode('default', ['--module', ECHO_MODULE, '--nats', natsUrl]);
  const kernel = await probeKernelSandbox();
  // Which default this machine runs: the rows say it, so a run without bubblewrap is not mistaken for one with it.
  const defaultNote = kernel.available ? 'under bubblewrap' : `no kernel sandbox here: ${kernel.reason}`;

  const tput = async (
    scenario: string,
    name: string,
    start: () => Promise<Server>,
    target: string,
    extra: string[] = [],
    note?: string,
  ) => {
    log(`  ${scenario}: ${name}`);
    const r = await withServer(start, (s) =>
      runJson<Throughput>(
        LOAD,
        loadArgs(
          plan,
          target,
          target === 'nats' || target === 'moleculer' ? natsUrl : String(s.ready.grpc ?? s.ready.address),
          extra,
        ),
      ),
    );
    rows.push({ scenario, name, unit: 'calls/s', ...summarise(r.throughput), ...(note === undefined ? {} : { note }) });
  };
  const lat = async (name: string, start: () => Promise<Server>, target: string, note?: string) => {
    log(`  2-latency: ${name}`);
    const r = await withServer(start, (s) =>
      runJson<Latency>(
        LOAD,
        loadArgs(plan, target, target === 'nats' || target === 'moleculer' ? natsUrl : String(s.ready.grpc ?? s.ready.address), [
          '--mode',
          'latency',
        ]),
      ),
    );
    const n = note === undefined ? {} : { note };
    rows.push({ scenario: '2-latency', name: `${name} p50`, unit: 'ms', ...summarise(r.latency.map((x) => x.p50)), ...n });
    rows.push({ scenario: '2-latency', name: `${name} p99`, unit: 'ms', ...summarise(r.latency.map((x) => x.p99)), ...n });
  };
  const nats = () => startServer(path.join(BENCH_DIR, 'servers', 'nats-echo.ts'), [], { NATS_URL: natsUrl });
  const moleculer = () => startServer(path.join(BENCH_DIR, 'servers', 'moleculer-echo.ts'), [], { NATS_URL: natsUrl });

  // 1. Throughput, 64 in flight, small payload: the default first, then the inline module.
  await tput('1-throughput', DEFAULT_ROW, node('default'), 'insights', [], defaultNote);
  await tput('1-throughput', DEPLOYED_ROW, deployed, 'insights', [], defaultNote);
  await tput('1-throughput', 'insights (inline module)', node('inline'), 'insights');
  await tput('1-throughput', 'raw grpc-js unary', grpcEcho(), 'grpc-unary');
  await tput('1-throughput', 'raw grpc-js stream, one message per call', grpcEcho(), 'grpc-stream');
  await tput('1-throughput', 'raw grpc-js stream, batched per tick', grpcEcho(), 'grpc-batched');
  await tput('1-throughput', 'raw NATS request/reply', nats, 'nats');
  await tput('1-throughput', 'Moleculer 0.15 over NATS', moleculer, 'moleculer');

  // 2. Serial latency.
  await lat(DEFAULT_ROW, node('default'), 'insights', defaultNote);
  await lat(DEPLOYED_ROW, deployed, 'insights', defaultNote);
  await lat('insights (inline module)', node('inline'), 'insights');
  await lat('raw grpc-js stream', grpcEcho(), 'grpc-stream');
  await lat('Moleculer 0.15 over NATS', moleculer, 'moleculer');

  // 3. Isolation cost.
  for (const iso of ['inline', 'worker', 'process']) await tput('3-isolation', `insights (${iso})`, node(iso), 'insights');

  // 4. Large results, 8 in flight. JSON twice: parsed into objects by the client, and undecoded (mesh.raw).
  for (const payload of ['json1mb', 'png1mb']) {
    await tput('4-large', `insights ${payload}`, node('inline'), 'insights', ['--payload', payload, '--concurrency', '8']);
    if (payload === 'json1mb')
      await tput('4-large', `insights ${payload}, undecoded (mesh.raw)`, node('inline'), 'insights', [
        '--payload',
        'json1mb-raw',
        '--concurrency',
        '8',
      ]);
    await tput('4-large', `raw grpc-js stream ${payload}`, grpcEcho(payload), 'grpc-stream', [
      '--payload',
      payload,
      '--concurrency',
      '8',
    ]);
  }
  return rows;
}
