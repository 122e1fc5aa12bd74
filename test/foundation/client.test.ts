import { connect, local, type InferMesh, type Mesh } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import examples from '../../modules/examples/src/index.ts';
import testmodule from '../../modules/testmodule/src/index.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

describe('client - direct mode', () => {
  let node: TestNode;
  let mesh: Mesh<InferMesh<typeof examples>>;
  beforeAll(async () => {
    node = await startTestNode({
      modules: [
        path.join(SHIPPED_MODULES, 'testmodule'),
        path.join(SHIPPED_MODULES, 'examples'),
        path.join(FIXTURE_MODULES, 'slow'),
      ],
    });
    mesh = await connect<InferMesh<typeof examples>>({ nodes: [node.grpcAddress] });
  });
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  it('calls queries and views, typed from the module definition', async () => {
    const grades = await mesh.query.get_grades({ learners: 5 });
    expectTypeOf(grades).toEqualTypeOf<{ learner: string; grade: number }[]>();
    expect(grades).toHaveLength(5);
    expect(await mesh.query.hello_user({ user: 'ada' })).toBe('Hello, ada!');
    expect(await mesh.query['examples.hello']()).toBe('Hello, world!');
    const v = await mesh.view.plot_grades({ course: 'c' });
    expect(v.type).toBe('html');
  });

  it('lists analytics with Object.keys and describe()', async () => {
    const names = Object.keys(mesh.query);
    expect(names).toEqual(expect.arrayContaining(['hello', 'examples.hello', 'djt_three_name', 'edx_djt_three_name']));
    const d = await mesh.describe();
    expect(d.nodes).toHaveLength(1);
    expect(d.analytics.find((a) => a.name === 'hello_user')).toMatchObject({ module: 'examples', nodes: [node.id] });
  });

  it('typed errors carry the code and the parameter', async () => {
    const untyped = mesh as unknown as Mesh;
    await expect(untyped.query.hello_user!({})).rejects.toMatchObject({
      name: 'InsightsError',
      code: 'INVALID_ARGUMENT',
      parameter: 'user',
    });
    await expect(untyped.query.helo!()).rejects.toMatchObject({
      code: 'NOT_FOUND',
      suggestions: expect.arrayContaining(['hello']),
    });
  });

  it('deadlines: per call, default via withTimeout, and enforced even when the handler ignores its signal', async () => {
    const untyped = mesh as unknown as Mesh;
    const t0 = Date.now();
    await expect(untyped.query.sleep!({ ms: 5000 }, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await expect(untyped.withTimeout(200).query.sleep!({ ms: 5000, ignoreSignal: true })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('nested mesh calls inherit the remaining deadline', async () => {
    const untyped = mesh as unknown as Mesh;
    const t0 = Date.now();
    // nested_sleep asks for 60 s on its inner call, but the outer deadline (300 ms) wins.
    await expect(untyped.query.nested_sleep!({ ms: 5000 }, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('cancellation with an AbortSignal reaches the handler on the node', async () => {
    const untyped = mesh as unknown as Mesh;
    const before = (await untyped.query.aborted!()) as number;
    const controller = new AbortController();
    const call = untyped.query.sleep!({ ms: 5000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    // At least this call's abort (an earlier test's nested abort may still be landing).
    await expect.poll(() => untyped.query.aborted!(), { timeout: 2000 }).toBeGreaterThanOrEqual(before + 1);
  });

  it('progress reports of slow views reach the caller', async () => {
    const untyped = mesh as unknown as Mesh;
    const seen: string[] = [];
    const v = await untyped.view.progress_view!(
      { steps: 3, stepMs: 30 },
      { onProgress: (f, m) => seen.push(`${f.toFixed(2)} ${m}`) },
    );
    expect(v).toEqual({ type: 'html', html: '<p>done</p>' });
    expect(seen).toEqual(['0.00 step 1 of 3', '0.33 step 2 of 3', '0.67 step 3 of 3']);
  });

  it('many concurrent calls share one stream and all answer (one frame, started by the node in slices)', async () => {
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => mesh.query.hello_user({ user: `u${i}` })));
    expect(results.filter((r, i) => r !== `Hello, u${i}!`)).toEqual([]);
  });

  it('raw results: content type and bytes, undecoded', async () => {
    const grades = await mesh.raw('query', 'get_grades', { learners: 3 });
    expect(grades.contentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(grades.data).toString())).toHaveLength(3);
    const page = await mesh.raw('view', 'plot_grades', { course: 'c' });
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(Buffer.from(page.data).toString()).toContain('<img');
    await expect(mesh.raw('query', 'helo')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('client - local mode gives the same answers with no server', () => {
  it('runs modules in-process', async () => {
    const mesh = await local<InferMesh<typeof examples>>({ modules: [examples, testmodule] });
    try {
      expect(await mesh.query.get_grades({ course: 'x', learners: 3 })).toHaveLength(3);
      expect(await (mesh as unknown as Mesh).query.djt_check_three_name!()).toBe('Works');
      expect(Object.keys(mesh.view)).toEqual(expect.arrayContaining(['plot_grades', 'djt_hello_template']));
      const raw = await mesh.raw('query', 'get_grades', { course: 'x', learners: 2 });
      expect(raw.contentType).toBe('application/json');
      expect(JSON.parse(Buffer.from(raw.data).toString())).toHaveLength(2);
    } finally {
      await mesh.close();
    }
  });
});
