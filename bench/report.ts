import { DEFAULT_ROW, type Plan, type Row } from './scenarios/plan.ts';

export interface Target {
  goal: string;
  ratio: number;
  needed: number;
  met: boolean;
}

const median = (rows: readonly Row[], scenario: string, name: string): number | undefined =>
  rows.find((r) => r.scenario === scenario && r.name === name)?.median;

/** The issue's targets, computed from this run's medians (ratios in one run: noise cancels out). */
export function targets(rows: readonly Row[]): Target[] {
  const out: Target[] = [];
  const add = (goal: string, a: number | undefined, b: number | undefined, needed: number, lowerIsBetter = false) => {
    if (a === undefined || b === undefined || b === 0) return;
    const ratio = a / b;
    out.push({ goal, ratio: Number(ratio.toFixed(3)), needed, met: lowerIsBetter ? ratio <= needed : ratio >= needed });
  };
  // The headline targets are the default configuration's (what a node runs with no isolation option).
  const dflt = median(rows, '1-throughput', DEFAULT_ROW);
  const inline = median(rows, '1-throughput', 'insights (inline module)');
  const moleculer = median(rows, '1-throughput', 'Moleculer 0.15 over NATS');
  add('1. default: throughput vs Moleculer over NATS', dflt, moleculer, 2.5);
  add('1. default: throughput vs inline module', dflt, inline, 0.7);
  for (const p of ['p50', 'p99'])
    add(
      `2. default: ${p} latency vs Moleculer (lower is better)`,
      median(rows, '2-latency', `${DEFAULT_ROW} ${p}`),
      median(rows, '2-latency', `Moleculer 0.15 over NATS ${p}`),
      1,
      true,
    );
  add('1. inline: throughput vs Moleculer over NATS', inline, moleculer, 2.5);
  add(
    '1. inline: throughput vs raw batched grpc stream',
    inline,
    median(rows, '1-throughput', 'raw grpc-js stream, batched per tick'),
    0.5,
  );
  add(
    '2. inline: p50 latency vs raw grpc stream (lower is better)',
    median(rows, '2-latency', 'insights (inline module) p50'),
    median(rows, '2-latency', 'raw grpc-js stream p50'),
    1.3,
    true,
  );
  add(
    '3. worker isolation vs inline',
    median(rows, '3-isolation', 'insights (worker)'),
    median(rows, '3-isolation', 'insights (inline)'),
    0.85,
  );
  for (const [p, ours, what] of [
    ['json1mb', 'insights json1mb', 'parsed by the client'],
    ['json1mb', 'insights json1mb, undecoded (mesh.raw)', 'undecoded'],
    ['png1mb', 'insights png1mb', 'bytes'],
  ] as const)
    add(
      `4. ${p} results (${what}) vs raw grpc streaming (within 1.3x)`,
      median(rows, '4-large', ours),
      median(rows, '4-large', `raw grpc-js stream ${p}`),
      1 / 1.3,
    );
  const ev = median(rows, '5-events', 'insights ingest -> JetStream -> counting handler');
  if (ev !== undefined)
    out.push({ goal: '5. events end to end >= 50,000 events/s', ratio: Math.round(ev), needed: 50_000, met: ev >= 50_000 });
  const imp = median(rows, '6-import', 'parse + normalise');
  if (imp !== undefined)
    out.push({
      goal: '6. tracking-log parse + normalise >= 100,000 lines/s',
      ratio: Math.round(imp),
      needed: 100_000,
      met: imp >= 100_000,
    });
  return out;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 3));

export function renderReport(r: {
  date: string;
  command: string;
  plan: Plan;
  machine: Record<string, unknown>;
  seconds: number;
  rows: Row[];
  targets: Target[];
}): string {
  const lines = [
    '# Benchmarks',
    '',
    `Measured ${r.date} with \`${r.command}\` (${r.seconds} s). Each figure is the median of ${r.plan.runs} runs of ${r.plan.durationMs} ms after a ${r.plan.warmupMs} ms warm-up; the range is min–max. Client, servers and NATS each run in their own process on loopback; baselines are measured in the same run, so compare ratios, not absolute figures.`,
    '',
    `Machine: ${Object.entries(r.machine)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join('; ')}.`,
    '',
    '## Targets',
    '',
    '| goal | this run | needed | met |',
    '| --- | --- | --- | --- |',
    ...r.targets.map(
      (t) =>
        `| ${t.goal} | ${t.ratio} | ${t.needed.toFixed ? Number(t.needed.toFixed(3)) : t.needed} | ${t.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '## Results',
    '',
    '| scenario | what | median | range | unit |',
    '| --- | --- | --- | --- | --- |',
    ...r.rows.map(
      (x) =>
        `| ${x.scenario} | ${x.name} | ${fmt(x.median)} | ${fmt(x.min)}–${fmt(x.max)} | ${x.unit}${x.note ? ` (${x.note})` : ''} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
