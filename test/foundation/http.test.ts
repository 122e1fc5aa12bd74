import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

describe('HTTP', () => {
  let node: TestNode;
  let base: string;
  beforeAll(async () => {
    node = await startTestNode({
      maxRequestBytes: 32 * 1024,
      modules: [
        path.join(SHIPPED_MODULES, 'testmodule'),
        path.join(SHIPPED_MODULES, 'examples'),
        path.join(FIXTURE_MODULES, 'thrower'),
      ],
    });
    base = `http://${node.httpAddress}`;
  });
  afterAll(() => node.stop());

  const get = (p: string) => fetch(`${base}${p}`);
  const post = (p: string, body: string, type = 'application/json') =>
    fetch(`${base}${p}`, { method: 'POST', body, headers: { 'content-type': type } });

  it('healthz and schema', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    const schema = (await (await get('/schema')).json()) as { modules: { name: string }[] };
    expect(schema.modules.map((m) => m.name)).toEqual(expect.arrayContaining(['testmodule', 'examples', 'thrower']));
  });

  it('queries by GET (typed from the query string) and POST (JSON)', async () => {
    expect(await (await get('/query/djt_user_event_count?user=alice')).json()).toBe(0);
    const grades = (await (await get('/query/get_grades?learners=3')).json()) as unknown[];
    expect(grades).toHaveLength(3);
    expect(await (await post('/query/hello_user', '{"user":"bob"}')).json()).toBe('Hello, bob!');
  });

  it('views render with their content type and a sandboxing CSP', async () => {
    const r = await get('/view/djt_fake_user_count');
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(await r.text()).toBe('<html>Users: 2</html>');
  });

  it('query results as CSV', async () => {
    const r = await get('/query/get_grades?learners=2&_format=csv');
    expect(r.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await r.text()).split('\r\n')[0]).toBe('learner,grade');
  });

  it('plot_grades writes a real PNG through fs and links it by a signed URL that expires', async () => {
    const html = await (await get('/view/plot_grades?course=demo')).text();
    const src = /src="([^"]+)"/.exec(html)?.[1];
    expect(src).toMatch(/\/files\/examples\/plots\/grades-demo\.png\?exp=\d+&sig=[0-9a-f]{64}$/);
    const img = await fetch(src!);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await img.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(bytes.length).toBeGreaterThan(2000);
    // Tampering with the signature or the name is refused.
    const sig = /sig=([0-9a-f])/.exec(src!)![1]!;
    expect((await fetch(src!.replace(/sig=./, `sig=${sig === '0' ? '1' : '0'}`))).status).toBe(403);
    expect((await fetch(src!.replace('grades-demo', 'grades-other'))).status).toBe(403);
  });

  it.each([
    ['GET', '/query/no_such_thing', undefined, 404, 'NOT_FOUND'],
    ['GET', '/query/hello_user', undefined, 400, 'INVALID_ARGUMENT'],
    ['POST', '/query/hello_user', '{"user":', 400, 'INVALID_ARGUMENT'],
    ['POST', '/query/hello_user', '[1,2]', 400, 'INVALID_ARGUMENT'],
    ['POST', '/query/hello_user', JSON.stringify({ user: 'x'.repeat(40_000) }), 429, 'RESOURCE_EXHAUSTED'],
    ['GET', '/query/kaboom', undefined, 500, 'INTERNAL'],
    ['GET', '/nowhere', undefined, 404, 'NOT_FOUND'],
  ])('errors - %s %s (body %s) -> %i %s', async (method, p, body, status, code) => {
    const r = method === 'GET' ? await get(p) : await post(p, body ?? '');
    expect(r.status).toBe(status);
    const json = (await r.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe(code);
    expect(json.error.message.length).toBeGreaterThan(5);
  });

  it('the page lists analytics with a form per analytic and sandboxed result frames', async () => {
    const r = await get('/');
    const html = await r.text();
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(html).toContain('action="/query/testmodule.djt_user_event_count"');
    expect(html).toMatch(/<input id="[^"]+-user" type="text" name="user" value="" required>/);
    expect(html).toMatch(/<iframe name="[^"]+" title="Result of djt_user_event_count" sandbox>/);
    expect(html).toContain('event handler <code>djt_event_count_event</code>');
  });
});
