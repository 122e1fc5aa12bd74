/**
 * Scenario 8: a course imported into a node like the demo's lms (edx + the seven standard
 * analytics, process sandboxes, embedded database): 200,000 events (5,000 learners), and with
 * BENCH_COURSE_1M=1 also 1,000,000 (20,000 learners), reporting import time and rate, the time
 * until every handler caught up, and peak memory per module and of the ingesting node.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emptyEventStream } from '../event-stream.ts';
import { BENCH_DIR, ensureCliBuilt, INSIGHTS_BIN, REPO, runJson, startServer } from '../procs.ts';
import type { Plan, Row } from './plan.ts';

/** The lms node's modules; BENCH_COURSE_MODULES (comma-separated) replaces them, e.g. `edx` alone to time ingest without handlers. */
const MODULES = [
  'edx',
  'weekly-activity',
  'video-engagement',
  'answer-distribution',
  'grade-distribution',
  'time-on-task',
  'enrollment',
  'irt',
];

interface CourseResult {
  events: number;
  importSeconds: number;
  importEventsPerSecond: number;
  catchUpSeconds: number;
  caughtUp: boolean;
  peakNodeMb: number;
  peakModuleMb: Record<string, number>;
  /** The ingesting node's CPU per event from the import's start to caught up: its own, and with its sandboxes. */
  nodeCpuUsPerEvent: number;
  nodeTreeCpuUsPerEvent: number;
}

/** One course size on a fresh node (its own data folder) and an empty event stream. */
export async function runCourse(natsUrl: string, events: number, learners: number, isolation = 'process'): Promise<CourseResult> {
  await emptyEventStream(natsUrl);
  await ensureCliBuilt();
  const node = await startServer(
    INSIGHTS_BIN,
    [
      'node',
      '--id',
      `course-${events}`,
      '--grpc',
      '0',
      '--http',
      '0',
      '--isolation',
      isolation,
      '--nats',
      natsUrl,
      '--data-dir',
      mkdtempSync(path.join(tmpdir(), 'insights-bench-course-')),
      ...(process.env.BENCH_COURSE_MODULES?.split(',') ?? MODULES).flatMap((m) => ['--module', path.join(REPO, 'modules', m)]),
    ],
    { INSIGHTS_LOG_LEVEL: 'warn' },
    // Profiling the ingesting node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`), space-separated.
    process.env.BENCH_COURSE_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [],
    false,
  );
  try {
    return await runJson<CourseResult>(path.join(BENCH_DIR, 'clients', 'course.ts'), [
      ...['--events', String(events), '--learners', String(learners)],
      ...['--grpc', String(node.ready.grpc), '--http', String(node.ready['http']), '--nats', natsUrl],
      ...[
        '--node-id',
        `course-${events}`,
        '--pid',
        String(node.proc.pid),
        '--data',
        path.resolve(REPO, '..', 'shared', 'data', 'edx-tracking'),
      ],
    ]);
  } finally {
    await node.stop();
  }
}

export async function run(plan: Plan, natsUrl: string, log: (s: string) => void): Promise<Row[]> {
  // The 1,000,000-event course takes minutes on its own: BENCH_COURSE_1M=1 adds it.
  const sizes = plan.smoke
    ? [{ events: 5_000, learners: 200 }]
    : [
        { events: 200_000, learners: 5_000 },
        ...(process.env.BENCH_COURSE_1M === '1' ? [{ events: 1_000_000, learners: 20_000 }] : []),
      ];
  const rows: Row[] = [];
  for (const { events, learners } of sizes) {
    log(`  8-course: ${events.toLocaleString('en-US')} events, ${learners.toLocaleString('en-US')} learners, lms-like node`);
    const r = await runCourse(natsUrl, events, learners);
    const modules = Object.entries(r.peakModuleMb)
      .map(([m, mb]) => `${m} ${mb}`)
      .join(', ');
    const note = `${r.caughtUp ? '' : 'NOT CAUGHT UP; '}peak MB: node ${r.peakNodeMb}; ${modules}`;
    rows.push(
      {
        scenario: '8-course',
        name: `import ${events} events`,
        unit: 's',
        median: r.importSeconds,
        min: r.importSeconds,
        max: r.importSeconds,
        runs: [r.importSeconds],
        note: `${r.importEventsPerSecond} events/s; node CPU ${r.nodeCpuUsPerEvent} µs/event (${r.nodeTreeCpuUsPerEvent} with its sandboxes); ${note}`,
      },
      {
        scenario: '8-course',
        name: `caught up ${events} events`,
        unit: 's',
        median: r.catchUpSeconds,
        min: r.catchUpSeconds,
        max: r.catchUpSeconds,
        runs: [r.catchUpSeconds],
        note: r.caughtUp ? 'every handler consumer empty' : 'limit reached',
      },
    );
  }
  return rows;
}
