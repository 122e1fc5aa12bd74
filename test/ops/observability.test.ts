import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { connect, NodeConnection, type Mesh } from '@insights/client';
import { moduleHealthService } from '@insights/node';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, REPO_ROOT, SHIPPED_MODULES } from '../support/tmp.ts';

/** One sample of a Prometheus text exposition: `name{labels} value`, summed over matches. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? total : Number.NaN;
}

const ADMIN_TOKEN = 'admin-token-0123456789';

describe.skipIf(NO_NATS)('observability - metrics, readiness, health, log level and traces on real nodes', () => {
  let nats: NatsServer;
  let front: TestNode; // caller + counter: nested calls go out from here
  let back: TestNode; // examples: the nested calls land here
  let mesh: Mesh;
  const spans = new InMemorySpanExporter();
  const testTracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');

  beforeAll(async () => {
    nats = await startNatsServer();
    const common = {
      nats: nats.as('node'),
      defaultIsolation: 'inline' as const,
      registry: { ttlMs: 1500 },
      admin: { tokens: [ADMIN_TOKEN] },
    };
    back = await startTestNode({ ...common, id: 'obs-back', modules: [path.join(SHIPPED_MODULES, 'examples')] });
    front = await startTestNode({
      ...common,
      id: 'obs-front',
      modules: [path.join(FIXTURE_MODULES, 'caller'), path.join(FIXTURE_MODULES, 'counter')],
    });
    // Tracing is on in these nodes only through the exporter handed to startNode.
    for (const n of [front, back]) expect(n).toBeDefined();
    mesh = await connect({ nats: nats.as('client'), tracer: testTracer });
    for (let t = Date.now(); (await mesh.describe()).nodes.length < 2 && Date.now() - t < 5000;)
      await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await mesh?.close();
    await front?.stop();
    await back?.stop();
    await nats?.stop();
  });

  const scrape = async (n: TestNode) => {
    const r = await fetch(`http://${n.httpAddress}/metrics`);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    return r.text();
  };

  it('metrics - a scrape during load shows calls by analytic and code, in-flight calls, events, consumers, modules and the registry moving', async () => {
    const before = await scrape(back);
    const ok0 = sample(before, 'insights_call_duration_seconds_count', { analytic: 'examples.hello_user', code: 'OK' }) || 0;
    // Load: 8 workers calling for 1.5 s, some with a bad argument; 2,000 events into the counter meanwhile.
    const conn = new NodeConnection(front.grpcAddress);
    const events = Array.from({ length: 2000 }, (_, i) => ({
      id: `m-${i}`,
      time: '2026-01-05T10:00:00Z',
      source: 'test',
      type: 'tick',
      payload: {},
    }));
    const ingest = conn.ingest(events, { waitForHandlers: true, timeoutMs: 20_000 });
    let calls = 0;
    let bad = 0;
    const stopAt = Date.now() + 1500;
    let mid = '';
    // Scraped once a call has been served (at a fixed time, a slow machine may not have served one yet).
    let served!: () => void;
    const midScrape = new Promise<void>((r) => (served = r)).then(async () => void (mid = await scrape(back)));
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; Date.now() < stopAt; i++) {
          if (i % 10 === 0) {
            await mesh.query.hello_user!({ user: '' }).catch(() => bad++);
          } else {
            await mesh.query.hello_user!({ user: `w${w}` });
            calls++;
            served();
          }
        }
      }),
    );
    await midScrape;
    expect((await ingest).accepted).toBe(2000);
    conn.close();
    const after = await scrape(back);
    const okMid = sample(mid, 'insights_call_duration_seconds_count', { analytic: 'examples.hello_user', code: 'OK' });
    const okAfter = sample(after, 'insights_call_duration_seconds_count', { analytic: 'examples.hello_user', code: 'OK' });
    console.log(
      `metrics: hello_user OK count ${ok0} -> ${okMid} (mid-load) -> ${okAfter}; ${calls} ok and ${bad} bad calls sent`,
    );
    expect(okMid).toBeGreaterThan(ok0);
    expect(okAfter - ok0).toBe(calls);
    expect(
      sample(after, 'insights_call_duration_seconds_count', { analytic: 'examples.hello_user', code: 'INVALID_ARGUMENT' }),
    ).toBeGreaterThanOrEqual(bad);
    expect(
      sample(after, 'insights_call_duration_seconds_bucket', { analytic: 'examples.hello_user', code: 'OK', le: '+Inf' }),
    ).toBe(okAfter);
    expect(sample(after, 'insights_calls_in_flight')).toBe(0);
    expect(sample(after, 'insights_module_up', { module: 'examples' })).toBe(1);
    expect(sample(after, 'insights_registry_advertised', { node: 'obs-back' })).toBe(1);
    expect(sample(after, 'insights_nats_connected')).toBe(1);
    // A name nothing serves is counted under one label, whatever the caller sends.
    await new NodeConnection(back.grpcAddress)
      .call({ kind: 'query', name: 'no_such_thing_123', args: {}, deadline: Date.now() + 2000 })
      .catch(() => {});
    expect(sample(await scrape(back), 'insights_call_duration_seconds_count', { analytic: '(unknown)', code: 'NOT_FOUND' })).toBe(
      1,
    );

    const ev = await scrape(front);
    // The front node waited for handlers (hard realtime), so it follows the whole registry; a node that only serves follows its own entry.
    expect(sample(ev, 'insights_registry_nodes')).toBe(2);
    const handler = 'h_counter_count_all__obs-front';
    expect(sample(ev, 'insights_events_processed_total', { handler })).toBeGreaterThanOrEqual(2000);
    expect(sample(ev, 'insights_event_consumer_lag', { handler })).toBe(0);
    expect(sample(ev, 'insights_events_dead_lettered_total', { handler })).toBe(0);
    expect(sample(ev, 'insights_events_redelivered_total', { handler })).toBe(0);

    // The Grafana dashboard in deploy/ plots only metrics a node really exposes.
    const dashboard = readFileSync(path.join(REPO_ROOT, 'deploy', 'grafana', 'insights-mesh.json'), 'utf8');
    const used = new Set(dashboard.match(/insights_[a-z0-9_]+/g));
    const exposed = `${after}\n${ev}`;
    expect([...used].filter((m) => !exposed.includes(`\n${m}{`) && !exposed.includes(`\n${m} `))).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });

  it('health - /healthz alive, /readyz ready with its checks, grpc.health.v1 per service and per module', async () => {
    expect(await (await fetch(`http://${back.httpAddress}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`http://${back.httpAddress}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { serving: true, modules: true, nats: true, registry: true, mesh: true },
      sandbox: { mode: expect.stringMatching(/^(kernel|permission-model-only)$/), modules: expect.any(Object) },
    });
    const def = protoLoader.loadSync((await import('grpc-health-check')).protoPath, { enums: String });
    const Health = (grpc.loadPackageDefinition(def).grpc as { health: { v1: { Health: grpc.ServiceClientConstructor } } }).health
      .v1.Health;
    const h = new Health(back.grpcAddress, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Check(req: object, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
    };
    const check = (service: string) =>
      new Promise<string>((res) => h.Check({ service }, (e, r) => res(e ? `error ${e.code}` : r.status)));
    expect(await check('')).toBe('SERVING');
    expect(await check('insights.v1.Insights')).toBe('SERVING');
    expect(await check(moduleHealthService('examples'))).toBe('SERVING');
    expect(await check(moduleHealthService('nope'))).toBe(`error ${grpc.status.NOT_FOUND}`);
    h.close();
  });

  it('logs - structured records carry node and module; the level changes at run time through the admin endpoint', async () => {
    const put = (level: string, token?: string) =>
      fetch(`http://${back.httpAddress}/admin/log-level`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify({ level }),
      });
    expect((await put('warn')).status).toBe(401);
    expect((await put('warn', 'wrong-token-0123456789')).status).toBe(403);
    expect((await put('loud', ADMIN_TOKEN)).status).toBe(400);
    back.logs.splice(0);
    expect(await (await put('warn', ADMIN_TOKEN)).json()).toEqual({ level: 'warn' });
    // The change is logged at info, after it takes effect: at warn it is not written.
    expect(back.logs.filter((r) => r.level === 'info')).toEqual([]);
    await put('debug', ADMIN_TOKEN);
    expect(back.logs.find((r) => r.msg === 'log level changed')).toMatchObject({
      level: 'info',
      node: 'obs-back',
      from: 'warn',
      to: 'debug',
    });
    expect(front.logs.find((r) => r.msg === 'module loaded' && r.module === 'caller')).toMatchObject({
      node: 'obs-front',
      module: 'caller',
    });
  });
});

describe.skipIf(NO_NATS)('tracing - a nested mesh call shows every hop', () => {
  let nats: NatsServer;
  const nodes: TestNode[] = [];
  const exported = new InMemorySpanExporter();
  const testTracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exported)] }).getTracer('test');

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await nats.stop();
  });

  it('trace - client -> front node -> nested call -> back node, and an event from its ingest to its handler, in one trace', async () => {
    const { startNode, parseNodeConfig } = await import('@insights/node');
    const { tempDir } = await import('../support/tmp.ts');
    const start = async (id: string, modules: string[]) => {
      const tmp = await tempDir();
      const node = await startNode(
        parseNodeConfig({
          id,
          nats: nats.as('node'),
          dataDir: tmp.dir,
          defaultIsolation: 'inline',
          registry: { ttlMs: 1500 },
          modules,
        }),
        { spanExporter: exported, logSink: () => {} },
      );
      nodes.push(
        Object.assign(Object.create(node) as TestNode, node, {
          logs: [],
          stop: async () => (await node.close(), await tmp.remove()),
        }),
      );
      return node;
    };
    await start('trace-back', [path.join(SHIPPED_MODULES, 'examples')]);
    const front = await start('trace-front', [path.join(FIXTURE_MODULES, 'caller'), path.join(FIXTURE_MODULES, 'counter')]);
    const mesh = await connect({ nats: nats.as('client'), tracer: testTracer });
    try {
      await expect.poll(async () => (await mesh.describe()).nodes.length, { timeout: 5000 }).toBe(2);
      // The front node's own mesh client must see the back node before the nested call can route.
      await expect
        .poll(() => mesh.query.greet_via_mesh!({ user: 'warm' }).catch((e: Error) => e.message), { timeout: 5000 })
        .toBe('relayed: Hello, warm!');
      exported.reset();
      const root = testTracer.startSpan('researcher script');
      const out = await context.with(trace.setSpan(context.active(), root), () => mesh.query.greet_via_mesh!({ user: 'ada' }));
      root.end();
      expect(out).toBe('relayed: Hello, ada!');
      const all = exported.getFinishedSpans();
      const traceId = root.spanContext().traceId;
      const inTrace = all.filter((s) => s.spanContext().traceId === traceId);
      const byParent = (parent: ReadableSpan | undefined) =>
        inTrace.filter((s) => s.parentSpanContext?.spanId === parent?.spanContext().spanId);
      const chain: string[] = [];
      let at: ReadableSpan | undefined = inTrace.find((s) => s.name === 'researcher script');
      while (at !== undefined) {
        chain.push(`${at.name} @${String(at.resource.attributes['service.instance.id'] ?? 'client')}`);
        at = byParent(at)[0];
      }
      console.log(`trace ${traceId}:\n  ${chain.join('\n  -> ')}`);
      expect(chain).toEqual([
        'researcher script @client',
        'insights.call query.greet_via_mesh @client',
        'insights.query caller.greet_via_mesh @trace-front',
        'insights.call query.examples.hello_user @trace-front',
        'insights.query examples.hello_user @trace-back',
      ]);

      // Events: the ingest's trace travels in a NATS header to the handler's span.
      exported.reset();
      const parent = testTracer.startSpan('platform sends events');
      const tp = `00-${parent.spanContext().traceId}-${parent.spanContext().spanId}-01`;
      const r = await fetch(`http://${front.httpAddress}/events?wait=handlers`, {
        method: 'POST',
        headers: { traceparent: tp },
        body: JSON.stringify({ id: 'traced-1', time: '2026-01-05T10:00:00Z', source: 'test', type: 'tick', payload: {} }),
      });
      parent.end();
      expect(((await r.json()) as { accepted: number }).accepted).toBe(1);
      await expect
        .poll(() => exported.getFinishedSpans().some((s) => s.name.startsWith('insights.events counter.count_all')), {
          timeout: 5000,
        })
        .toBe(true);
      const ingestSpan = exported.getFinishedSpans().find((s) => s.name === 'insights.ingest events');
      const handlerSpan = exported.getFinishedSpans().find((s) => s.name.startsWith('insights.events counter.count_all'));
      expect(ingestSpan?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(handlerSpan?.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(handlerSpan?.parentSpanContext?.spanId).toBe(ingestSpan?.spanContext().spanId);
    } finally {
      await mesh.close();
    }
  });
});
