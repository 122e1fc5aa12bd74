import { connect, generateMeshKeys, mintCapability, NodeConnection, parsePolicy, type Mesh, type Policy } from '@insights/client';
import { delegateCapability } from '@insights/policy';
import { readFileSync } from 'node:fs';
import { hashPassword, parseDashboardConfig, startDashboard } from '@insights/dashboard';
import { writeFile } from 'node:fs/promises';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { NO_NATS, natsEnv, startNatsServer, type NatsServer } from '../support/nats.ts';
import { certifiedIdentity } from '../support/node-identity.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

interface Record {
  id: string;
  parent?: string;
  trace?: string;
  node: string;
  analytic: string;
  who?: string;
  args: { course?: string };
  outcome: string;
  resultBytes: number;
  time: string;
}

/**
 * Issue 14: "who read this learner's data, when, through what?" Every call that enters the mesh
 * and every nested call it causes is one record in the audit stream, linked to its parent, with
 * the arguments after locks and never the result.
 */
describe.skipIf(NO_NATS)('audit trail - one record per call of a nested call tree', () => {
  const keys = generateMeshKeys();
  const token = (policy: Policy, subject: string, context: { [k: string]: string } = {}) =>
    mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [{ policy: parsePolicy(policy), context }],
      ttlSeconds: 600,
      subject,
    });
  let nats: NatsServer;
  let node: TestNode;
  let nc: NatsConnection;
  const meshes: Mesh[] = [];
  const identities: { remove(): Promise<void> }[] = [];
  /** A key and certificate for node `id` (the mesh certifies it): its forwarded calls may name their parent. */
  const certified = async (id: string): Promise<{ keyFile: string; certificateFile: string }> => {
    const ident = await certifiedIdentity(keys, id);
    identities.push(ident);
    return ident.identity;
  };

  const records = async (): Promise<Record[]> => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('INSIGHTS_AUDIT');
    const out: Record[] = [];
    // A message holds a batch of records (a JSON array), or one (an object) from nodes before batching.
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = (await jsm.streams.getMessage('INSIGHTS_AUDIT', { seq }))!.json<Record | Record[]>();
      out.push(...(Array.isArray(m) ? m : [m]));
    }
    return out;
  };
  /** The records once `n` of them (or `n` that `match`) are in the stream. */
  /** The records once `ready` holds for them (10 s at most): each node ships its own, in no order between nodes. */
  const waitUntil = async (ready: (all: Record[]) => boolean): Promise<Record[]> => {
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      const r = await records().catch(() => []);
      if (ready(r)) return r;
    }
    return records();
  };
  const waitFor = (n: number, match: (r: Record) => boolean = () => true): Promise<Record[]> =>
    waitUntil((all) => all.filter(match).length >= n);

  /** `insights audit ...` as an operator: what it prints. */
  const auditText = async (...args: string[]): Promise<string> => {
    const r = await runCli(['audit', '--nats', nats.url, ...args], natsEnv(nats, 'operator'));
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  /** `insights audit ... --json`: the records it prints. */
  const auditCli = async (...filter: string[]): Promise<Record[]> =>
    (await auditText(...filter, '--json'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record);

  beforeAll(async () => {
    nats = await startNatsServer();
    node = await startTestNode({
      id: 'audited',
      nats: nats.as('node'),
      identity: await certified('audited'),
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: ['ingest-token-for-tests-0001'] },
      modules: [path.join(SHIPPED_MODULES, 'examples')], // a process sandbox: nested calls cross the channel
    });
    nc = await natsConnect(nats.connectOptions('operator'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await nc?.close();
    await node?.stop();
    await nats?.stop();
    for (const i of identities) await i.remove();
  });

  it('a view and its nested call: two records, linked, with the lock in the arguments, outcome and size, no result', async () => {
    const prof = await connect({
      nodes: [node.grpcAddress],
      capability: token({ default: 'allow', rules: [{ match: '*', lock: { course: 'course' } }] }, 'prof', { course: 'C1' }),
    });
    meshes.push(prof);
    await prof.view['examples.plot_grades']!({});
    const all = await waitFor(2);
    expect(all).toHaveLength(2);
    const view = all.find((r) => r.analytic === 'examples.plot_grades')!;
    const nested = all.find((r) => r.analytic === 'examples.get_grades')!;
    expect(view).toMatchObject({ node: 'audited', outcome: 'OK', args: { course: 'C1' }, who: expect.stringMatching(/^prof#/) });
    expect(view.parent).toBeUndefined();
    expect(nested).toMatchObject({
      parent: view.id,
      outcome: 'OK',
      args: { course: 'C1' },
      who: expect.stringMatching(/^prof#/),
    });
    expect(nested.resultBytes).toBeGreaterThan(100);
    // Results never enter the audit: the grades' learners appear nowhere in it.
    expect(JSON.stringify(all)).not.toMatch(/"learner"|"grade"/);
    // Without OpenTelemetry too, the tree has one trace id.
    expect(view.trace).toMatch(/^[0-9a-f]{32}$/);
    expect(nested.trace).toBe(view.trace);
  });

  it('a call tree across two nodes: the forwarded call is recorded on the node serving it, in the same trace, under its parent; insights audit --trace shows the tree', async () => {
    const front = await startTestNode({
      id: 'front',
      nats: nats.as('node'),
      identity: await certified('front'),
      capabilities: {
        trustedKeys: [keys.publicKeyPem],
        required: true,
        meshCapability: token({ default: 'allow' }, 'node'),
      },
      ingest: { tokens: ['ingest-token-for-tests-0001'] },
      modules: [path.join(FIXTURE_MODULES, 'caller')],
    });
    try {
      const ada = await connect({ nodes: [front.grpcAddress], capability: token({ default: 'allow' }, 'ada') });
      meshes.push(ada);
      await expect
        .poll(() => ada.query['caller.greet_via_mesh']!({ user: 'ada' }).catch(() => ''), { timeout: 20_000 })
        .toBe('relayed: Hello, ada!');
      const lastOuter = (all: Record[]) =>
        all.filter((r) => r.node === 'front' && r.analytic === 'caller.greet_via_mesh' && r.outcome === 'OK').at(-1);
      const servedIn = (all: Record[], trace: string | undefined) =>
        all.find((r) => r.node === 'audited' && r.analytic === 'examples.hello_user' && r.trace === trace);
      const all = await waitUntil((rs) => servedIn(rs, lastOuter(rs)?.trace) !== undefined);
      const outer = lastOuter(all)!;
      const served = servedIn(all, outer.trace);
      expect(outer.trace).toMatch(/^[0-9a-f]{32}$/);
      // Forwarded by a certified node (every token delegated by it): the serving node believes the parent it names.
      expect(served).toMatchObject({
        parent: outer.id,
        outcome: 'OK',
        args: { user: 'ada' },
        who: expect.stringMatching(/^ada#.* via node:front#delegation via node#/),
      });

      // A plain client claiming the same parent joins the trace its traceparent names, never the tree.
      const mallory = await connect({ nodes: [node.grpcAddress], capability: token({ default: 'allow' }, 'mallory') });
      meshes.push(mallory);
      const traceparent = `00-${outer.trace!}-00f067aa0ba902b7-01`;
      expect(await mallory.query['examples.hello_user']!({ user: 'eve' }, { parentCall: outer.id, traceparent })).toBe(
        'Hello, eve!',
      );
      const forged = (await waitFor(1, (r) => r.who?.startsWith('mallory#') === true)).find((r) => r.who?.startsWith('mallory#'));
      expect(forged).toMatchObject({ trace: outer.trace, analytic: 'examples.hello_user' });
      expect(forged?.parent).toBeUndefined();

      // The whole trace in tree order, across nodes: the forwarded call under the outer one, the forged one beside it.
      const lines = await auditCli('--trace', outer.trace!);
      expect(lines.map((r) => `${r.node} ${r.analytic} ${r.who!.split('#')[0]!}`)).toEqual([
        'front caller.greet_via_mesh ada',
        'audited examples.hello_user ada',
        'audited examples.hello_user mallory',
      ]);
      const table = (await auditText('--trace', outer.trace!)).split('\n');
      const row = (id: string) => table.find((l) => l.includes(id)) ?? '';
      expect(row(outer.id)).toMatch(/ front {2,}caller\.greet_via_mesh /);
      expect(row(served!.id)).toMatch(/ audited {2,}└ examples\.hello_user /);
      expect(row(forged!.id)).toMatch(/ audited {2,}examples\.hello_user /);

      // A nested call the caller's policy denies is refused by the node serving it, not silently by the
      // forwarding node's client: the refusal is on record there, under its parent, in the tree's trace.
      const bob = await connect({
        nodes: [front.grpcAddress],
        capability: token({ default: 'allow', rules: [{ match: 'examples.*', effect: 'deny' }] }, 'bob'),
      });
      meshes.push(bob);
      await expect(bob.query['caller.greet_via_mesh']!({ user: 'bob' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      const bobs = (node: string) => (r: Record) => r.node === node && r.who?.startsWith('bob#') === true;
      const afterBob = await waitUntil((rs) => rs.some(bobs('audited')) && rs.some(bobs('front')));
      const bobOuter = afterBob.find((r) => r.node === 'front' && r.who?.startsWith('bob#') === true);
      expect(afterBob.find((r) => r.node === 'audited' && r.who?.startsWith('bob#') === true)).toMatchObject({
        analytic: 'examples.hello_user',
        outcome: 'PERMISSION_DENIED',
        parent: bobOuter?.id,
        trace: bobOuter?.trace,
      });
    } finally {
      await front.stop();
    }
  }, 90_000);

  it('parent_call on CallStream and unary Call alike: the parent is recorded from a certified node, also for a call its policy refuses, and dropped from a plain client', async () => {
    const relay = await certified('relay');
    // What a certified node sends when it forwards a nested call: the caller's capability, delegated to the serving node.
    const delegated = (subject: string, policy: Policy) =>
      delegateCapability({
        capability: token(policy, subject),
        nodePrivateKeyPem: readFileSync(relay.keyFile, 'utf8'),
        certificate: readFileSync(relay.certificateFile, 'utf8').trim(),
        targetNodeId: 'audited',
      });
    const denyExamples: Policy = { default: 'allow', rules: [{ match: 'examples.*', effect: 'deny' }] };
    const conn = new NodeConnection(node.grpcAddress);
    try {
      for (const rpc of ['stream', 'unary'] as const) {
        const send = (capability: string) =>
          (rpc === 'stream' ? conn.call.bind(conn) : conn.callUnary.bind(conn))({
            kind: 'query',
            name: 'examples.hello_user',
            args: { user: 'u' },
            deadline: Date.now() + 10_000,
            capability,
            parentCall: `${rpc}Parent_0001`,
            traceparent: `00-${rpc === 'stream' ? 'a' : 'b'}${'0'.repeat(30)}1-00f067aa0ba902b7-01`,
          });
        expect(await send(delegated(`${rpc}-relayed`, { default: 'allow' }))).toMatchObject({ value: 'Hello, u!' });
        await expect(send(delegated(`${rpc}-denied`, denyExamples))).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
        expect(await send(token({ default: 'allow' }, `${rpc}-plain`))).toMatchObject({ value: 'Hello, u!' });
      }
    } finally {
      conn.close();
    }
    const all = await waitFor(6, (r) => /^(stream|unary)-(relayed|denied|plain)#/.test(r.who ?? ''));
    const of = (subject: string) => all.find((r) => r.who?.startsWith(`${subject}#`));
    for (const rpc of ['stream', 'unary']) {
      expect(of(`${rpc}-relayed`), rpc).toMatchObject({
        parent: `${rpc}Parent_0001`,
        outcome: 'OK',
        who: expect.stringMatching(/via node:relay#delegation/),
      });
      // Refused at this node's door (its policy denies the call): still under the forwarding node's call.
      expect(of(`${rpc}-denied`), rpc).toMatchObject({
        parent: `${rpc}Parent_0001`,
        trace: `${rpc === 'stream' ? 'a' : 'b'}${'0'.repeat(30)}1`,
        outcome: 'PERMISSION_DENIED',
        who: expect.stringMatching(/via node:relay#delegation/),
      });
      expect(of(`${rpc}-plain`), rpc).toMatchObject({ outcome: 'OK' });
      expect(of(`${rpc}-plain`)?.parent, rpc).toBeUndefined();
    }
  });

  it('a refused call is recorded too, and insights audit filters by user, analytic and learner id', async () => {
    const denied = await connect({
      nodes: [node.grpcAddress],
      capability: token({ default: 'allow', rules: [{ match: 'examples.get_grades', effect: 'deny' }] }, 'student'),
    });
    meshes.push(denied);
    await expect(denied.view['examples.plot_grades']!({ course: 'C9' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const all = await waitFor(2, (r) => r.who?.startsWith('student#') === true);
    const refused = all.find((r) => r.who?.startsWith('student#') && r.analytic === 'examples.get_grades');
    expect(refused).toMatchObject({ outcome: 'PERMISSION_DENIED', args: { course: 'C9' } });
    expect(refused?.parent).toBe(all.find((r) => r.who?.startsWith('student#') && r.analytic === 'examples.plot_grades')?.id);

    const lines = await auditCli('--user', 'student');
    expect(lines.map((r) => `${r.analytic} ${r.outcome}`).sort()).toEqual([
      'examples.get_grades PERMISSION_DENIED',
      'examples.plot_grades PERMISSION_DENIED',
    ]);
    expect((await auditCli('--learner', 'C1', '--analytic', 'examples.get_*')).map((r) => r.analytic)).toEqual([
      'examples.get_grades',
    ]);
  }, 60_000);

  it('insights audit reads the one-record messages of nodes from before batching beside the batches of today', async () => {
    const asNode = await natsConnect(nats.connectOptions('node'));
    try {
      const old: Record = {
        id: 'oldNode_record1',
        node: 'old-node',
        analytic: 'examples.hello_user',
        who: 'legacy#cap1',
        args: {},
        outcome: 'OK',
        resultBytes: 12,
        time: new Date().toISOString(),
      };
      await jetstream(asNode).publish('insights.audit.old-node', JSON.stringify({ v: 1, kind: 'query', durationMs: 1, ...old }));
    } finally {
      await asNode.close();
    }
    expect((await auditCli('--user', 'legacy')).map((r) => `${r.node} ${r.id}`)).toEqual(['old-node oldNode_record1']);
    // Batched records of the calls before, read by the same filter.
    expect((await auditCli('--user', 'student')).length).toBe(2);
  });

  it('dashboard - the audit page shows the trail to the audit roles only, filtered like the CLI', async () => {
    const tmp = await tempDir('insights-audit-dashboard-');
    const password = await hashPassword('pw');
    const usersFile = path.join(tmp.dir, 'users.json');
    await writeFile(usersFile, JSON.stringify({ dpo: { password, role: 'auditor' }, prof: { password, role: 'instructor' } }));
    const dashboard = await startDashboard(
      parseDashboardConfig({
        port: 0,
        mesh: { nats: nats.as('operator') },
        signingKey: keys.privateKeyPem,
        auth: { kind: 'users', usersFile },
        roles: { auditor: { policy: { default: 'deny' } }, instructor: { policy: { default: 'allow' } } },
        audit: { roles: ['auditor'] },
      }),
    );
    const login = async (user: string) => {
      const r = await fetch(`${dashboard.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `user=${user}&password=pw`,
        redirect: 'manual',
      });
      return /^([^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
    };
    try {
      const page = await fetch(`${dashboard.url}/admin/audit?user=student`, { headers: { cookie: await login('dpo') } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('examples.get_grades');
      expect(html).toContain('student#');
      expect(html).not.toContain('prof#');
      const prof = await fetch(`${dashboard.url}/admin/audit`, { headers: { cookie: await login('prof') } });
      expect(prof.status).toBe(403);
      expect((await fetch(`${dashboard.url}/admin/audit`, { redirect: 'manual' })).status).toBe(303);
    } finally {
      await dashboard.close();
      await tmp.remove();
    }
  }, 60_000);
});
