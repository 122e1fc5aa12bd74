import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

/**
 * Issue 14: the node's `?_format=csv` and `insights call --csv` wrote `=HYPERLINK(...)`, `=1+2`
 * and `@SUM` cells raw, for a spreadsheet to run. Both now go through the one CSV writer.
 */
describe('csv - formula cells are neutralised on the node and in the CLI', () => {
  let node: TestNode;
  const formula = '=HYPERLINK("http://evil.example","open")';

  beforeAll(async () => {
    node = await startTestNode({ defaultIsolation: 'inline', modules: [path.join(FIXTURE_MODULES, 'echo')] });
  });
  afterAll(() => node.stop());

  it("node - GET /query/<name>?_format=csv prefixes formula cells with '", async () => {
    const q = new URLSearchParams({ course: '@SUM(A1:A3)', learner: formula, _format: 'csv' });
    const res = await fetch(`http://${node.httpAddress}/query/echo.course_report?${q}`);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await res.text()).toBe(`course,learner\r\n'@SUM(A1:A3),"'=HYPERLINK(""http://evil.example"",""open"")"\r\n`);
  });

  it("cli - insights call --csv prefixes formula cells with '", async () => {
    const r = await runCli([
      'call',
      'query.echo.course_report',
      '--course',
      '+1+2',
      '--learner',
      '-3',
      '--csv',
      '--node',
      node.grpcAddress,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("course,learner\r\n'+1+2,'-3\r\n");
  }, 120_000);
});
