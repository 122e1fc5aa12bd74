import { connect, type Mesh } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpRows, loadLmsDumps, NO_LMS_DUMPS } from '../support/lms-dumps.ts';
import { NO_MARIADB, startMariaDb, type SqlServer } from '../support/sql-servers.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';

type Value = string | number | null | undefined;
const COURSE = 'edX/E929/2014_T1';
const time = (t: Value, minutesBefore = 0) =>
  new Date(new Date(`${String(t).replace(' ', 'T')}Z`).getTime() - minutesBefore * 60_000).toISOString();

/** The tracking-log events an LMS writes as it reaches the state its tables hold. */
function eventsBehindTheTables(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const edx = (type: string, user: Value, course: Value, at: string, event: Record<string, unknown>) =>
    events.push({
      username: `learner${String(user)}`,
      event_source: 'server',
      event_type: type,
      time: at,
      context: { user_id: user, course_id: course, org_id: 'edX' },
      event,
      page: null,
    });
  // id, module_type, module_id, student_id, state, grade, created, modified, max_grade, done, course_id
  for (const r of dumpRows('load_courseware_studentmodule.sql', 'courseware_studentmodule')) {
    if (r[1] !== 'problem' || r[5] === null || r[8] === null) continue;
    const check = (grade: number, at: string) =>
      edx('problem_check', r[3], r[10], at, { problem_id: r[2], grade, max_grade: Number(r[8]), answers: {} });
    // An earlier, worse attempt first: the table keeps only the latest, and so must the events' analytic.
    check(0, time(r[7], 5));
    check(Number(r[5]), time(r[7]));
  }
  // id, user_id, course_id, created, is_active, mode
  for (const r of dumpRows('load_student_courseenrollment.sql', 'student_courseenrollment')) {
    const body = { user_id: r[1], course_id: r[2], mode: r[5] };
    edx('edx.course.enrollment.activated', r[1], r[2], time(r[3]), body);
    if (r[4] !== 1) edx('edx.course.enrollment.deactivated', r[1], r[2], time(r[3], -60), body);
  }
  return events;
}

/**
 * Issue 18: "the same results whether the data came from events or from the replica". The LMS
 * tables of ../shared/data/lms-mysql in MariaDB for lms-replica, and the events that lead to that
 * state ingested into the event-fed analytics of the same node.
 */
describe.skipIf(NO_MARIADB || NO_LMS_DUMPS)('the LMS replica and the events agree', () => {
  let server: SqlServer;
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    server = await startMariaDb();
    await loadLmsDumps(server);
    node = await startTestNode({
      defaultIsolation: 'inline',
      modules: ['edx', 'grade-distribution', 'enrollment', 'lms-replica'].map((m) => path.join(SHIPPED_MODULES, m)),
      sql: {
        sources: { lms: { kind: 'mysql', port: server.port, database: 'lms', ...server.readOnly, modules: ['lms-replica'] } },
      },
    });
    const r = await node.events.ingest(eventsBehindTheTables(), { waitForHandlers: true, timeoutMs: 60_000 });
    expect(r.rejected).toEqual([]);
    mesh = await connect({ nodes: [node.grpcAddress] });
  }, 120_000);
  afterAll(async () => {
    await mesh?.close();
    await node?.stop();
    await server?.stop();
  });

  it('grade distribution per problem: grade-distribution (events) equals lms-replica (courseware_studentmodule)', async () => {
    const shape = (rows: unknown) =>
      (rows as { course: string; problem: string; grade: number; max_grade: number; learners: number }[])
        .filter((r) => r.max_grade > 0)
        .map(({ course, problem, grade, max_grade, learners }) => ({ course, problem, grade, max_grade, learners }));
    const fromReplica = shape(await mesh.query['lms-replica.problem_grades']!({ course: COURSE }));
    const fromEvents = shape(await mesh.query['grade-distribution.problem_grades']!({ course: COURSE }));
    expect(fromReplica.length).toBeGreaterThan(0);
    expect(fromEvents).toEqual(fromReplica);
  });

  it('active enrollments by mode: the enrollment analytic (events, net change summed) equals lms-replica (student_courseenrollment)', async () => {
    const days = (await mesh.query['enrollment.enrollment_daily']!({})) as { course: string; mode: string; net_change: number }[];
    const fromEvents = new Map<string, number>();
    for (const d of days) fromEvents.set(`${d.course}|${d.mode}`, (fromEvents.get(`${d.course}|${d.mode}`) ?? 0) + d.net_change);
    for (const [k, n] of fromEvents) if (n === 0) fromEvents.delete(k);
    const replica = (await mesh.query['lms-replica.enrollment_by_mode']!({})) as {
      course: string;
      mode: string;
      learners: number;
    }[];
    expect(replica.length).toBeGreaterThan(0);
    expect(fromEvents).toEqual(new Map(replica.map((r) => [`${r.course}|${r.mode}`, r.learners])));
  });
});
