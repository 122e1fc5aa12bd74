import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fromGrpcError, insightsClientConstructor, type WireDescribeResponse } from '@insights/wire';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

type Cb<T> = (e: grpc.ServiceError | null, r: T) => void;
type RawClient = grpc.Client & {
  Describe(req: object, cb: Cb<WireDescribeResponse>): void;
  Call(req: object, opts: grpc.CallOptions, cb: Cb<{ result: { contentType: string; data: Buffer } }>): void;
};

/** A raw grpc-js client: what any other language would do with proto/insights/v1. */
function rawCall(client: RawClient, kind: number, name: string, args: unknown, deadlineMs = 5000) {
  return new Promise<{ contentType: string; text: string }>((resolve, reject) =>
    client.Call(
      { kind, name, argsJson: Buffer.from(typeof args === 'string' ? args : JSON.stringify(args)) },
      { deadline: Date.now() + deadlineMs },
      (e, r) => (e ? reject(e) : resolve({ contentType: r.result.contentType, text: r.result.data.toString() })),
    ),
  );
}

describe('gRPC contract', () => {
  let node: TestNode;
  let client: RawClient;
  beforeAll(async () => {
    node = await startTestNode({
      labels: ['lms'],
      maxRequestBytes: 64 * 1024,
      modules: [
        path.join(SHIPPED_MODULES, 'testmodule'),
        path.join(SHIPPED_MODULES, 'examples'),
        path.join(FIXTURE_MODULES, 'thrower'),
        path.join(FIXTURE_MODULES, 'broken-load'),
      ],
    });
    const Ctor = insightsClientConstructor();
    client = new Ctor(node.grpcAddress, grpc.credentials.createInsecure()) as unknown as RawClient;
  });
  afterAll(async () => {
    client.close();
    await node.stop();
  });

  it('Describe - lists node, modules, analytics with JSON Schema parameters, and the failed module with its reason', async () => {
    const d = await new Promise<WireDescribeResponse>((res, rej) => client.Describe({}, (e, r) => (e ? rej(e) : res(r))));
    expect(d.node).toMatchObject({ labels: ['lms'], state: 'serving', grpcAddress: node.grpcAddress });
    const testmodule = d.modules.find((m) => m.name === 'testmodule');
    const three = testmodule?.analytics.find((a) => a.name === 'djt_three_name');
    expect(three?.aliases).toEqual(['edx_djt_three_name', 'edx.djt_three_name']);
    const perUser = testmodule?.analytics.find((a) => a.name === 'djt_user_event_count');
    expect(JSON.parse(perUser?.paramsSchemaJson ?? '{}')).toMatchObject({
      required: ['user'],
      properties: { user: { type: 'string' } },
    });
    expect(testmodule?.analytics.filter((a) => a.kind === 3).map((a) => a.name)).toContain('djt_event_count_event');
    const broken = d.modules.find((m) => m.state === 'failed');
    expect(broken?.lastError).toMatch(/fails at import on purpose/);
  });

  it('Call - queries, views, aliases and mesh calls between analytics', async () => {
    expect(await rawCall(client, 1, 'djt_fake_user_count', {})).toEqual({ contentType: 'application/json', text: '2' });
    expect((await rawCall(client, 2, 'djt_fake_user_count', {})).text).toBe('<html>Users: 2</html>');
    expect((await rawCall(client, 1, 'djt_check_three_name', {})).text).toBe('"Works"');
    expect((await rawCall(client, 1, 'examples.hello_user', { user: 'ada' })).text).toBe('"Hello, ada!"');
    expect((await rawCall(client, 2, 'djt_hello_template', {})).text).toBe('<html>Hello World</html>\n');
  });

  it.each([
    ['unknown analytic', 1, 'djt_fake_usr_count', '{}', 'NOT_FOUND', grpc.status.NOT_FOUND, /did you mean djt_fake_user_count/],
    ['malformed JSON', 1, 'examples.hello_user', '{"user":', 'INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, /not valid JSON/],
    [
      'missing parameter',
      1,
      'examples.hello_user',
      '{}',
      'INVALID_ARGUMENT',
      grpc.status.INVALID_ARGUMENT,
      /"user": missing required/,
    ],
    [
      'extra parameter',
      1,
      'examples.hello_user',
      '{"user":"a","x":1}',
      'INVALID_ARGUMENT',
      grpc.status.INVALID_ARGUMENT,
      /unknown parameter "x"/,
    ],
    [
      'wrong type',
      1,
      'examples.get_grades',
      '{"learners":"many"}',
      'INVALID_ARGUMENT',
      grpc.status.INVALID_ARGUMENT,
      /"learners"/,
    ],
    ['module throws', 1, 'kaboom', '{}', 'INTERNAL', grpc.status.INTERNAL, /thrower\.kaboom failed: kaboom: the module broke$/],
    [
      'module input error',
      1,
      'bad_input',
      '{"n":-1}',
      'INVALID_ARGUMENT',
      grpc.status.INVALID_ARGUMENT,
      /n: must not be negative/,
    ],
    ['module claims UNAVAILABLE', 1, 'claims_unavailable', '{}', 'INTERNAL', grpc.status.INTERNAL, /pretending/],
    ['view returns a number', 2, 'not_a_view', '{}', 'INTERNAL', grpc.status.INTERNAL, /a view must return/],
    [
      'oversize request',
      1,
      'examples.hello_user',
      JSON.stringify({ user: 'x'.repeat(100_000) }),
      'RESOURCE_EXHAUSTED',
      grpc.status.RESOURCE_EXHAUSTED,
      /./,
    ],
    [
      'bad kind',
      3,
      'djt_event_count_event',
      '{}',
      'INVALID_ARGUMENT',
      grpc.status.INVALID_ARGUMENT,
      /kind must be QUERY or VIEW/,
    ],
  ])('errors - %s', async (_what, kind, name, args, code, status, message) => {
    const err = await rawCall(client, kind, name, args).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(err?.code).toBe(status);
    const typed = fromGrpcError(err!);
    expect(typed.code).toBe(code);
    expect(typed.message).toMatch(message);
    expect(typed.message).not.toMatch(/\n\s+at /); // no stack trace leaks to callers
  });

  it('errors - the node keeps serving after all of the above', async () => {
    expect((await rawCall(client, 1, 'hello', {})).text).toBe('"Hello, world!"');
  });

  it('health - grpc.health.v1 answers SERVING', async () => {
    const { protoPath } = await import('grpc-health-check');
    const def = protoLoader.loadSync(protoPath, { enums: String });
    const Health = (grpc.loadPackageDefinition(def).grpc as { health: { v1: { Health: grpc.ServiceClientConstructor } } }).health
      .v1.Health;
    const h = new Health(node.grpcAddress, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Check(req: object, cb: Cb<{ status: string }>): void;
    };
    const r = await new Promise<{ status: string }>((res, rej) => h.Check({ service: '' }, (e, x) => (e ? rej(e) : res(x))));
    expect(r.status).toBe('SERVING');
    h.close();
  });
});
