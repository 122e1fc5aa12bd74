import { SqlSources, resolveSource, sqlSourceSchema, type SqlRequest, type SqlRow } from '@insights/sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpRows, loadLmsDumps, NO_LMS_DUMPS } from '../support/lms-dumps.ts';
import { NO_MARIADB, NO_POSTGRES, startMariaDb, startPostgres, type SqlServer } from '../support/sql-servers.ts';

const MODULE = 'lms-reports';

function sourcesFor(
  server: SqlServer,
  user: { user: string; password: string },
  extra: Record<string, unknown> = {},
  database = server.database,
) {
  const config = sqlSourceSchema.parse({ kind: server.kind, port: server.port, database, ...user, modules: [MODULE], ...extra });
  return new SqlSources([resolveSource('lms', config, '/')]);
}

async function all(sources: SqlSources, r: Partial<SqlRequest> & { text: string }, module = MODULE): Promise<SqlRow[]> {
  const out: SqlRow[] = [];
  for await (const batch of sources.run(module, { source: 'lms', params: [], mode: 'all', deadline: Date.now() + 10_000, ...r }))
    out.push(...batch);
  return out;
}

const coded = (code: string, text: string) => expect.objectContaining({ code, message: expect.stringContaining(text) });

describe.skipIf(NO_MARIADB || NO_LMS_DUMPS)('sql sources on MariaDB with the real LMS dumps', () => {
  let server: SqlServer;
  let sources: SqlSources;
  beforeAll(async () => {
    server = await startMariaDb();
    await loadLmsDumps(server);
    sources = sourcesFor(server, server.readOnly, { limits: { maxRows: 500, statementTimeoutMs: 30_000 } });
  }, 120_000);
  afterAll(async () => {
    await sources?.close();
    await server?.stop();
  });

  it('computes the grade distribution per problem as the dump holds it (counted by hand)', async () => {
    const hist = sourcesFor(server, server.readOnly, {}, 'analytics');
    const rows = await all(hist, {
      text: `SELECT module_id, grade, max_grade, COUNT(*) AS count FROM courseware_studentmodule
             WHERE course_id = ? AND module_type = 'problem' AND grade IS NOT NULL
             GROUP BY module_id, grade, max_grade ORDER BY module_id, grade, max_grade`,
      params: ['stanford/analytics/tests'],
    });
    await hist.close();
    // id, module_type, module_id, student_id, state, grade, created, modified, max_grade, done, course_id
    const byHand = new Map<string, number>();
    for (const r of dumpRows('courseware_studentmodule_for_histograms.sql', 'courseware_studentmodule')) {
      if (r[1] !== 'problem' || r[5] === null || r[10] !== 'stanford/analytics/tests') continue;
      const key = JSON.stringify([r[2], r[5], r[8]]);
      byHand.set(key, (byHand.get(key) ?? 0) + 1);
    }
    expect(byHand.size).toBeGreaterThan(2);
    const got = new Map(
      rows.map((r) => [
        JSON.stringify([r.module_id, Number(r.grade), r.max_grade === null ? null : Number(r.max_grade)]),
        Number(r.count),
      ]),
    );
    expect(got).toEqual(byHand);
  });

  it('counts enrollment by mode as the dump holds it', async () => {
    const rows = await all(sources, {
      text: 'SELECT course_id, mode, COUNT(*) AS learners FROM student_courseenrollment WHERE is_active = 1 GROUP BY course_id, mode',
    });
    // id, user_id, course_id, created, is_active, mode
    const byHand = new Map<string, number>();
    for (const r of dumpRows('load_student_courseenrollment.sql', 'student_courseenrollment'))
      if (r[4] === 1) byHand.set(`${r[2]}|${r[5]}`, (byHand.get(`${r[2]}|${r[5]}`) ?? 0) + 1);
    expect(new Map(rows.map((r) => [`${r.course_id}|${r.mode}`, Number(r.learners)]))).toEqual(byHand);
  });

  it('refuses writes with PERMISSION_DENIED, in its own check and in the read-only session (even as a user who may write)', async () => {
    await expect(
      all(sources, {
        text: "INSERT INTO student_courseenrollment (user_id, course_id, is_active, mode) VALUES (9, 'x', 1, 'honor')",
      }),
    ).rejects.toEqual(coded('PERMISSION_DENIED', 'INSERT'));
    const writer = sourcesFor(server, server.writer);
    // A read that writes through a function the guard cannot see: the read-only transaction stops it.
    await server.admin(
      "DELIMITER //\nCREATE FUNCTION lms.sneaky() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO lms.student_courseenrollment (user_id, course_id, is_active, mode) VALUES (99, 'x', 1, 'honor'); RETURN 1; END//\nDELIMITER ;",
    );
    await server.admin(`GRANT EXECUTE ON lms.* TO '${server.writer.user}'@'%'`);
    await expect(all(writer, { text: 'SELECT sneaky() AS s' })).rejects.toEqual(coded('PERMISSION_DENIED', 'read-only'));
    await writer.close();
    expect(await server.admin('SELECT COUNT(*) FROM student_courseenrollment WHERE user_id = 99')).toContain('0');
  });

  it('cancels a statement past its deadline on the server (DEADLINE_EXCEEDED)', async () => {
    await expect(all(sources, { text: 'SELECT SLEEP(20) AS s', deadline: Date.now() + 500 })).rejects.toEqual(
      coded('DEADLINE_EXCEEDED', 'deadline'),
    );
    // nothing of ours is still sleeping on the server
    await expect
      .poll(() => server.admin("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP%'"), {
        timeout: 5000,
      })
      .toMatch(/^count\(\*\)\n0\n?$/i);
  });

  it('cancels a statement whose caller went away (CANCELLED)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await expect(all(sources, { text: 'SELECT SLEEP(20) AS s', signal: ac.signal })).rejects.toEqual(
      coded('CANCELLED', 'went away'),
    );
  });

  it('refuses a result past its row limit, naming it, and streams it in batches instead', async () => {
    const big = 'SELECT seq AS i FROM seq_1_to_5000'; // MariaDB's sequence engine
    await expect(all(sources, { text: big })).rejects.toEqual(coded('RESOURCE_EXHAUSTED', 'maxRows'));
    let rows = 0;
    let batches = 0;
    for await (const batch of sources.run(MODULE, {
      source: 'lms',
      text: big,
      params: [],
      mode: 'stream',
      batchRows: 1000,
      deadline: Date.now() + 10_000,
    })) {
      rows += batch.length;
      batches++;
      expect(batch.length).toBeLessThanOrEqual(1000);
    }
    expect(rows).toBe(5000);
    expect(batches).toBeGreaterThanOrEqual(5);
  });

  it('refuses a module the source was not granted to, naming the source', async () => {
    await expect(all(sources, { text: 'SELECT 1' }, 'someone-else')).rejects.toEqual(
      coded('PERMISSION_DENIED', 'sql source "lms"'),
    );
    await expect(all(sources, { source: 'billing', text: 'SELECT 1' })).rejects.toEqual(
      coded('PERMISSION_DENIED', 'sql source "billing"'),
    );
  });

  it('names a bad parameter', async () => {
    await expect(all(sources, { text: 'SELECT ?', params: [{ a: 1 }] })).rejects.toEqual(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', parameter: 'params[0]' }),
    );
  });
});

describe.skipIf(NO_POSTGRES)('sql sources on PostgreSQL', () => {
  let server: SqlServer;
  let sources: SqlSources;
  beforeAll(async () => {
    server = await startPostgres();
    await server.admin(
      `CREATE TABLE student_courseenrollment (id serial PRIMARY KEY, user_id int NOT NULL, course_id text NOT NULL, created timestamptz, is_active boolean NOT NULL, mode text NOT NULL);
       INSERT INTO student_courseenrollment (user_id, course_id, created, is_active, mode)
         SELECT g, 'edX/Open_DemoX/edx_demo_course', '2014-06-27 16:02:38+00', true, CASE WHEN g % 3 = 0 THEN 'verified' ELSE 'honor' END FROM generate_series(1, 30) g;
       GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${server.readOnly.user};`,
    );
    sources = sourcesFor(server, server.readOnly, { limits: { maxRows: 500 } });
  }, 120_000);
  afterAll(async () => {
    await sources?.close();
    await server?.stop();
  });

  it('runs parameterised reads; dates arrive as ISO strings', async () => {
    const rows = await all(sources, {
      text: 'SELECT mode, COUNT(*)::int AS n, MIN(created) AS first FROM student_courseenrollment WHERE course_id = $1 GROUP BY mode ORDER BY mode',
      params: ['edX/Open_DemoX/edx_demo_course'],
    });
    expect(rows).toEqual([
      { mode: 'honor', n: 20, first: '2014-06-27T16:02:38.000Z' },
      { mode: 'verified', n: 10, first: '2014-06-27T16:02:38.000Z' },
    ]);
  });

  it('the read-only transaction stops a write hidden in a read, even for a user who may write', async () => {
    const writer = sourcesFor(server, server.writer);
    await expect(
      all(writer, { text: 'WITH d AS (DELETE FROM student_courseenrollment RETURNING id) SELECT COUNT(*) FROM d' }),
    ).rejects.toEqual(coded('PERMISSION_DENIED', 'read-only'));
    await writer.close();
    expect((await server.admin('SELECT COUNT(*) FROM student_courseenrollment')).trim()).toBe('30');
  });

  it('the read-only user is refused by the server too', async () => {
    await server.admin(`CREATE TABLE secrets (x int); REVOKE ALL ON secrets FROM ${server.readOnly.user};`);
    await expect(all(sources, { text: 'SELECT * FROM secrets' })).rejects.toEqual(coded('PERMISSION_DENIED', 'refused'));
  });

  it('cancels a statement past its deadline (DEADLINE_EXCEEDED) and when its caller goes away (CANCELLED)', async () => {
    await expect(all(sources, { text: 'SELECT pg_sleep(20)', deadline: Date.now() + 500 })).rejects.toEqual(
      coded('DEADLINE_EXCEEDED', 'deadline'),
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await expect(all(sources, { text: 'SELECT pg_sleep(20)', signal: ac.signal })).rejects.toEqual(
      coded('CANCELLED', 'went away'),
    );
    await expect
      .poll(
        () => server.admin("SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'"),
        { timeout: 5000 },
      )
      .toMatch(/^0\s*$/);
  });

  it('streams a large result in batches and refuses it whole past maxRows', async () => {
    const big = 'SELECT g AS i FROM generate_series(1, 20000) g';
    await expect(all(sources, { text: big })).rejects.toEqual(coded('RESOURCE_EXHAUSTED', 'maxRows'));
    let rows = 0;
    for await (const batch of sources.run(MODULE, {
      source: 'lms',
      text: big,
      params: [],
      mode: 'stream',
      batchRows: 2000,
      deadline: Date.now() + 10_000,
    }))
      rows += batch.length;
    expect(rows).toBe(20000);
  });
});
