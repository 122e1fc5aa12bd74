import { generateMeshKeys, mintCapability, NodeConnection, parsePolicy, type Policy } from '@insights/client';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startMesh, type Mesh } from '../dashboard/harness.ts';
import { NO_NATS } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { REPO_ROOT, SHIPPED_MODULES } from '../support/tmp.ts';

/**
 * Walks the route table of deploy/SECURITY.md against a running node (capabilities required)
 * and dashboard. The table is parsed from the markdown, so doc and test cannot drift: every row
 * needs a probe here and every probe a row.
 */
interface Row {
  readonly server: string;
  readonly route: string;
  readonly requires: string;
}

function routeTable(): Row[] {
  const md = readFileSync(path.join(REPO_ROOT, 'deploy', 'SECURITY.md'), 'utf8');
  const section = md.split('## Every route and what it requires')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| server') && !l.startsWith('| ---'))
    .map((l) => {
      const [server, route, requires] = l
        .split('|')
        .slice(1, 4)
        .map((c) => c.trim().replace(/^`|`$/g, ''));
      return { server: server!, route: route!, requires: requires! };
    });
}

/** Refused: 401/403, or a dashboard page sending the visitor to log in. */
type Verdict = 'refused' | 'served';
const verdictOf = (status: number, location?: string | null): Verdict =>
  status === 401 || status === 403 || (status >= 300 && status < 400 && (location ?? '').startsWith('/login'))
    ? 'refused'
    : 'served';

const INGEST_TOKEN = 'ingest-token-route-table-0001';
const ADMIN_TOKEN = 'admin-token-route-table-00001';
const METRICS_TOKEN = 'metrics-token-route-table-001';

describe.skipIf(NO_NATS)('route table - every route of deploy/SECURITY.md, refused without what it requires', () => {
  const keys = generateMeshKeys();
  const capability = (policy: Policy) =>
    mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [{ policy: parsePolicy(policy), context: {} }],
      ttlSeconds: 600,
    });
  const allowAll = capability({ default: 'allow' });
  let node: TestNode;
  let conn: NodeConnection;
  let mesh: Mesh;
  let cookie = '';
  let profCookie = '';
  let resultId = '';
  let embedUrl = '';
  let nodeFileUrl = '';

  const http = async (method: string, url: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, location: res.headers.get('location'), text };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = { 'content-type': 'application/json' };
  const grpcVerdict = (p: Promise<unknown>): Promise<Verdict> =>
    p.then(
      () => 'served',
      (e: { code?: string }) => (e.code === 'PERMISSION_DENIED' || e.code === 'UNAUTHENTICATED' ? 'refused' : 'served'),
    );
  const event = { event_type: 'page_view', username: 'ada', time: '2026-01-01T00:00:00Z', event_source: 'browser' };

  beforeAll(async () => {
    node = await startTestNode({
      defaultIsolation: 'inline',
      modules: [path.join(SHIPPED_MODULES, 'examples'), path.join(SHIPPED_MODULES, 'testmodule')],
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: [INGEST_TOKEN] },
      admin: { tokens: [ADMIN_TOKEN] },
      metrics: { tokens: [METRICS_TOKEN] },
    });
    conn = new NodeConnection(node.grpcAddress, grpc.credentials.createInsecure());
    mesh = await startMesh();
    const d = mesh.dashboard.url;
    cookie = await relogin();
    profCookie = await relogin('prof');
    const run = await http('GET', `${d}/api/run/view/examples.plot_grades?course=C1`, { cookie });
    resultId = /\/result\/([^/"]+)\/frame/.exec(run.text)![1]!;
    const frame = await http('GET', `${d}/result/${resultId}/frame`, { cookie });
    nodeFileUrl = /\/node-files\/[^"]+/.exec(frame.text)![0].replace(/&amp;/g, '&');
    const embed = await http(
      'POST',
      `${d}/api/embed`,
      { cookie, ...json },
      JSON.stringify({ name: 'examples.plot_grades', args: { course: 'C1' } }),
    );
    embedUrl = (JSON.parse(embed.text) as { url: string }).url;
  }, 120_000);

  afterAll(async () => {
    conn?.close();
    await node?.stop();
    await mesh?.close();
  });

  const relogin = async (user = 'ada') => {
    const r = await fetch(`${mesh.dashboard.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `user=${user}&password=${encodeURIComponent(PASSWORD)}`,
      redirect: 'manual',
    });
    return /^([^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
  };

  /** How to exercise each row, without (false) and with (true) what it requires. */
  const probes: Record<string, (withIt: boolean) => Promise<Verdict>> = {
    'node HTTP GET /healthz': async () => verdictOf((await http('GET', `http://${node.httpAddress}/healthz`)).status),
    'node HTTP GET /readyz': async () => verdictOf((await http('GET', `http://${node.httpAddress}/readyz`)).status),
    'node HTTP GET /metrics': async (w) =>
      verdictOf((await http('GET', `http://${node.httpAddress}/metrics`, w ? bearer(METRICS_TOKEN) : bearer(allowAll))).status),
    'node HTTP PUT /admin/log-level': async (w) =>
      verdictOf(
        (
          await http(
            'PUT',
            `http://${node.httpAddress}/admin/log-level`,
            { ...json, ...(w ? bearer(ADMIN_TOKEN) : bearer(allowAll)) },
            '{"level":"debug"}',
          )
        ).status,
      ),
    'node HTTP GET /': async (w) =>
      verdictOf((await http('GET', `http://${node.httpAddress}/`, w ? bearer(allowAll) : {})).status),
    'node HTTP GET /schema': async (w) =>
      verdictOf((await http('GET', `http://${node.httpAddress}/schema`, w ? bearer(allowAll) : {})).status),
    'node HTTP GET /query/<name>': async (w) =>
      verdictOf((await http('GET', `http://${node.httpAddress}/query/examples.get_grades`, w ? bearer(allowAll) : {})).status),
    'node HTTP POST /query/<name>': async (w) =>
      verdictOf(
        (
          await http(
            'POST',
            `http://${node.httpAddress}/query/examples.get_grades`,
            { ...json, ...(w ? bearer(allowAll) : {}) },
            '{}',
          )
        ).status,
      ),
    'node HTTP GET /view/<name>': async (w) =>
      verdictOf((await http('GET', `http://${node.httpAddress}/view/examples.plot_grades`, w ? bearer(allowAll) : {})).status),
    'node HTTP POST /view/<name>': async (w) =>
      verdictOf(
        (
          await http(
            'POST',
            `http://${node.httpAddress}/view/examples.plot_grades`,
            { ...json, ...(w ? bearer(allowAll) : {}) },
            '{}',
          )
        ).status,
      ),
    'node HTTP POST /property/<name>': async (w) =>
      verdictOf(
        (
          await http(
            'POST',
            `http://${node.httpAddress}/property/djt_agent`,
            { ...json, ...(w ? bearer(allowAll) : {}) },
            JSON.stringify({ event }),
          )
        ).status,
      ),
    'node HTTP POST /events': async (w) =>
      verdictOf(
        (
          await http(
            'POST',
            `http://${node.httpAddress}/events`,
            w ? bearer(INGEST_TOKEN) : bearer(allowAll),
            JSON.stringify(event),
          )
        ).status,
      ),
    'node HTTP GET /files/<module>/<file>': async (w) => {
      const view = await http('GET', `http://${node.httpAddress}/view/examples.plot_grades?course=C1`, bearer(allowAll));
      const signed = /src="([^"]+)"/.exec(view.text)![1]!.replace(/&amp;/g, '&');
      return verdictOf((await http('GET', w ? signed : signed.replace(/sig=[^&]+/, 'sig=forged'))).status);
    },
    'node gRPC Describe': (w) => grpcVerdict(conn.describe(5000, w ? allowAll : '')),
    'node gRPC Call': (w) =>
      grpcVerdict(
        conn.callUnary({
          kind: 'query',
          name: 'examples.get_grades',
          args: {},
          deadline: Date.now() + 5000,
          capability: w ? allowAll : '',
        }),
      ),
    'node gRPC CallStream': (w) =>
      grpcVerdict(
        conn.call({
          kind: 'query',
          name: 'examples.get_grades',
          args: {},
          deadline: Date.now() + 5000,
          capability: w ? allowAll : '',
        }),
      ),
    'node gRPC Ingest': (w) => grpcVerdict(conn.ingest([event], { token: w ? INGEST_TOKEN : allowAll })),
    'node gRPC IngestStream': async (w) => {
      const s = await conn.ingestStream(w ? INGEST_TOKEN : allowAll);
      s.write([Buffer.from(JSON.stringify(event))]);
      return grpcVerdict(s.end());
    },
    'node gRPC grpc.health.v1.Health/Check': async () => {
      const { protoPath } = await import('grpc-health-check');
      const def = protoLoader.loadSync(protoPath, { enums: String });
      const Health = (grpc.loadPackageDefinition(def).grpc as { health: { v1: { Health: grpc.ServiceClientConstructor } } })
        .health.v1.Health;
      const h = new Health(node.grpcAddress, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
        Check(req: object, cb: (e: Error | null, r: { status: string }) => void): void;
      };
      try {
        return await grpcVerdict(new Promise((res, rej) => h.Check({ service: '' }, (e, x) => (e ? rej(e) : res(x)))));
      } finally {
        h.close();
      }
    },
    'dashboard GET /healthz': async () => verdictOf((await http('GET', `${mesh.dashboard.url}/healthz`)).status),
    'dashboard GET /favicon.ico': async () => verdictOf((await http('GET', `${mesh.dashboard.url}/favicon.ico`)).status),
    'dashboard GET /assets/<file>': async () => {
      const page = await http('GET', `${mesh.dashboard.url}/login`);
      const asset = /\/assets\/[^"']+/.exec(page.text)![0];
      return verdictOf((await http('GET', `${mesh.dashboard.url}${asset}`)).status);
    },
    'dashboard GET /login': async () => verdictOf((await http('GET', `${mesh.dashboard.url}/login`)).status),
    'dashboard POST /login': async (w) =>
      verdictOf(
        (
          await http(
            'POST',
            `${mesh.dashboard.url}/login`,
            { 'content-type': 'application/x-www-form-urlencoded' },
            `user=ada&password=${w ? encodeURIComponent(PASSWORD) : 'wrong'}`,
          )
        ).status,
      ),
    'dashboard POST /logout': async (w) => {
      // Served = a session ended; without one there is nothing to end.
      const before = w ? cookie : '';
      await http('POST', `${mesh.dashboard.url}/logout`, w ? { cookie } : {});
      if (!w) return 'refused';
      const ended = verdictOf((await http('GET', `${mesh.dashboard.url}/api/catalog`, { cookie: before })).status) === 'refused';
      cookie = await relogin();
      return ended ? 'served' : 'refused';
    },
    'dashboard GET /': async (w) => {
      const r = await http('GET', `${mesh.dashboard.url}/`, w ? { cookie } : {});
      return verdictOf(r.status, r.location);
    },
    'dashboard GET /a/<kind>/<name>': async (w) => {
      const r = await http('GET', `${mesh.dashboard.url}/a/query/examples.get_grades`, w ? { cookie } : {});
      return verdictOf(r.status, r.location);
    },
    'dashboard GET /api/catalog': async (w) =>
      verdictOf((await http('GET', `${mesh.dashboard.url}/api/catalog`, w ? { cookie } : {})).status),
    'dashboard GET /api/catalog/events': async (w) => {
      const controller = new AbortController();
      const r = await fetch(`${mesh.dashboard.url}/api/catalog/events`, {
        headers: w ? { cookie } : {},
        signal: controller.signal,
      });
      controller.abort();
      return verdictOf(r.status);
    },
    'dashboard GET /api/run/<kind>/<name>': async (w) =>
      verdictOf((await http('GET', `${mesh.dashboard.url}/api/run/query/examples.get_grades`, w ? { cookie } : {})).status),
    'dashboard POST /api/embed': async (w) =>
      verdictOf(
        (
          await http(
            'POST',
            `${mesh.dashboard.url}/api/embed`,
            { ...json, ...(w ? { cookie } : {}) },
            JSON.stringify({ name: 'examples.plot_grades' }),
          )
        ).status,
      ),
    'dashboard GET /result/<id>/json': async (w) =>
      verdictOf((await http('GET', `${mesh.dashboard.url}/result/${resultId}/json`, w ? { cookie } : {})).status),
    'dashboard GET /result/<id>/csv': async (w) =>
      verdictOf((await http('GET', `${mesh.dashboard.url}/result/${resultId}/csv`, w ? { cookie } : {})).status),
    'dashboard GET /result/<id>/frame': async (w) =>
      verdictOf((await http('GET', `${mesh.dashboard.url}/result/${resultId}/frame`, w ? { cookie } : {})).status),
    'dashboard GET /admin/audit': async (w) => {
      // The instructor has a session but no audit role; the admin has both.
      const r = await http('GET', `${mesh.dashboard.url}/admin/audit`, { cookie: w ? cookie : profCookie });
      return verdictOf(r.status, r.location);
    },
    'dashboard GET /embed/<token>': async (w) =>
      verdictOf((await http('GET', w ? embedUrl : `${mesh.dashboard.url}/embed/forged.token`)).status),
    'dashboard GET /node-files/<node>/<file>': async (w) =>
      verdictOf(
        (await http('GET', `${mesh.dashboard.url}${w ? nodeFileUrl : nodeFileUrl.replace(/sig=[^&]+/, 'sig=forged')}`)).status,
      ),
  };

  it('route table - every row has a probe and every probe a row', () => {
    const rows = routeTable().map((r) => `${r.server} ${r.route}`);
    expect(rows.length).toBeGreaterThan(30);
    expect(rows.sort()).toEqual(Object.keys(probes).sort());
  });

  it('route table - each route is refused without what it requires and served with it', async () => {
    const wrong: string[] = [];
    for (const row of routeTable()) {
      const probe = probes[`${row.server} ${row.route}`]!;
      const open = row.requires === 'nothing';
      const without = await probe(false);
      if (!open && without !== 'refused') wrong.push(`${row.server} ${row.route}: served without ${row.requires}`);
      const withIt = await probe(true);
      if (withIt !== 'served') wrong.push(`${row.server} ${row.route}: refused with ${row.requires}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('listings and properties follow the capability: GET / shows only what it allows, a denied property is 403', async () => {
    const noExamples = capability({ default: 'allow', rules: [{ match: 'examples.*', effect: 'deny' }] });
    const page = await http('GET', `http://${node.httpAddress}/`, bearer(noExamples));
    expect(page.status).toBe(200);
    expect(page.text).toContain('djt_three_name');
    expect(page.text).not.toContain('get_grades');
    const noProperties = capability({ default: 'allow', rules: [{ match: 'property:*', effect: 'deny' }] });
    const denied = await http(
      'POST',
      `http://${node.httpAddress}/property/djt_agent`,
      { ...json, ...bearer(noProperties) },
      JSON.stringify({ event }),
    );
    expect(denied.status).toBe(403);
  });

  it('a node that requires capabilities refuses to start without ingest tokens', async () => {
    await expect(
      startTestNode({ capabilities: { trustedKeys: [keys.publicKeyPem], required: true }, modules: [] }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', key: 'ingest.tokens' });
  });
});
