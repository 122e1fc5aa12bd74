import { connect, type Mesh } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernel } from '../sandbox/hostile/kernel.ts';
import { dumpRows, loadLmsDumps, NO_LMS_DUMPS } from '../support/lms-dumps.ts';
import { NO_MARIADB, startMariaDb, type SqlServer } from '../support/sql-servers.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

const coded = (code: string, text: string) => expect.objectContaining({ code, message: expect.stringContaining(text) });

// The node runs every statement; modules reach it through ctx.sql, inline or across the sandbox channel.
describe.skipIf(NO_MARIADB || NO_LMS_DUMPS).each(['inline', 'process'] as const)(
  'modules read the LMS replica through ctx.sql (%s)',
  (isolation) => {
    let server: SqlServer;
    let node: TestNode;
    let mesh: Mesh;
    beforeAll(async () => {
      server = await startMariaDb();
      await loadLmsDumps(server);
      const source = { kind: 'mysql' as const, port: server.port, database: 'lms', ...server.readOnly };
      node = await startTestNode({
        defaultIsolation: isolation,
        modules: [path.join(SHIPPED_MODULES, 'lms-replica'), path.join(FIXTURE_MODULES, 'sql-reader')],
        sql: {
          sources: {
            lms: { ...source, modules: ['lms-replica', 'sql-reader'], limits: { maxRows: 200, statementTimeoutMs: 20_000 } },
            analytics: { ...source, database: 'analytics', modules: ['lms-replica'] },
          },
        },
      });
      mesh = await connect({ nodes: [node.grpcAddress] });
    }, 120_000);
    afterAll(async () => {
      await mesh?.close();
      await node?.stop();
      await server?.stop();
    });

    it('enrollment by mode matches the dump, counted by hand', async () => {
      const rows = (await mesh.query['lms-replica.enrollment_by_mode']!({})) as {
        course: string;
        mode: string;
        learners: number;
      }[];
      const byHand = new Map<string, number>();
      for (const r of dumpRows('load_student_courseenrollment.sql', 'student_courseenrollment'))
        if (r[4] === 1) byHand.set(`${r[2]}|${r[5]}`, (byHand.get(`${r[2]}|${r[5]}`) ?? 0) + 1);
      expect(new Map(rows.map((r) => [`${r.course}|${r.mode}`, r.learners]))).toEqual(byHand);
    });

    it('grade distribution per problem matches the dump, counted by hand', async () => {
      const rows = (await mesh.query['lms-replica.problem_grades']!({ course: 'edX/E929/2014_T1' })) as {
        problem: string;
        grade: number;
        max_grade: number;
        learners: number;
      }[];
      // id, module_type, module_id, student_id, state, grade, created, modified, max_grade, done, course_id
      const byHand = new Map<string, number>();
      for (const r of dumpRows('load_courseware_studentmodule.sql', 'courseware_studentmodule')) {
        if (r[1] !== 'problem' || r[5] === null || r[8] === null || Number(r[8]) <= 0 || r[10] !== 'edX/E929/2014_T1') continue;
        const key = JSON.stringify([r[2], r[5], r[8]]);
        byHand.set(key, (byHand.get(key) ?? 0) + 1);
      }
      expect(byHand.size).toBeGreaterThan(0);
      expect(new Map(rows.map((r) => [JSON.stringify([r.problem, r.grade, r.max_grade]), r.learners]))).toEqual(byHand);
    });

    it('a write, a statement past its deadline, a result past its limit and an ungranted source each get their code', async () => {
      const run = (source: string, text: string, options = {}) => mesh.query['sql-reader.run_sql']!({ source, text }, options);
      await expect(run('lms', 'DELETE FROM student_courseenrollment')).rejects.toEqual(coded('PERMISSION_DENIED', 'read-only'));
      await expect(run('lms', 'SELECT SLEEP(10) AS s', { timeoutMs: 800 })).rejects.toEqual(
        expect.objectContaining({ code: 'DEADLINE_EXCEEDED' }),
      );
      await expect(run('lms', 'SELECT seq FROM seq_1_to_1000')).rejects.toEqual(coded('RESOURCE_EXHAUSTED', 'maxRows'));
      await expect(run('analytics', 'SELECT 1')).rejects.toEqual(coded('PERMISSION_DENIED', 'sql source "analytics"'));
      // the node is fine afterwards
      expect(await run('lms', 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });

    it('streams a result larger than maxRows in batches, and stops early without leaking a connection', async () => {
      expect(
        await mesh.query['sql-reader.count_streamed']!({
          source: 'lms',
          text: 'SELECT seq FROM seq_1_to_20000',
          batchRows: 1000,
        }),
      ).toBe(20000);
      for (let i = 0; i < 8; i++)
        expect(await mesh.query['sql-reader.first_streamed']!({ source: 'lms', text: 'SELECT seq FROM seq_1_to_20000' })).toEqual(
          {
            seq: 1,
          },
        );
      expect(await mesh.query['sql-reader.run_sql']!({ source: 'lms', text: 'SELECT 2 AS two' })).toEqual([{ two: 2 }]);
    });

    it.skipIf(isolation !== 'process' || !kernel.available)(
      'a sandboxed module cannot reach the database port itself',
      async () => {
        expect(await mesh.query['sql-reader.connect_port']!({ port: server.port })).toMatch(/^refused: /);
      },
    );

    it('credentials never reach the module: the config it could see holds no password', async () => {
      const d = await mesh.describe();
      expect(JSON.stringify(d)).not.toContain(server.readOnly.password);
    });
  },
);
