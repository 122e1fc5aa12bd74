import path from 'node:path';
import { connect, local, NodeConnection, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import edx from '../../modules/edx/src/index.ts';
import testmodule from '../../modules/testmodule/src/index.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';

/** An Open edX tracking-log line as logged: its source is known only once the edX data layer reads it. */
const edxLine = {
  event_type: 'play_video',
  event_source: 'browser',
  username: 'ada',
  time: '2014-01-01T00:00:00',
  event: '{"id":"v1","currentTime":12}',
  context: { user_id: 7, course_id: 'A/B/C' },
};
const statement = {
  id: '6f1c0a38-9d0e-4a51-8b7e-0c7d1f0e2a11',
  actor: { mbox: 'mailto:ada@example.org', name: 'Ada' },
  verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
  object: { id: 'http://example.org/course/1' },
  timestamp: '2026-01-05T10:00:00Z',
};
/** Already an envelope: the client routes it by its source. */
const xapiEnvelope = {
  id: 'x-1',
  time: '2026-01-05T10:00:00Z',
  source: 'xapi',
  type: 'completed',
  payload: {},
  raw: statement,
};
/** The test module's shape: its own data layer reads it. */
const testEvent = { event: 'hello', user: 'bob' };

describe('events - event properties callable through the client', () => {
  let edxNode: TestNode;
  let testNode: TestNode;
  let mesh: Mesh;
  let offline: Mesh;

  beforeAll(async () => {
    // Two nodes: the edX data layer and its tincan.* and edx.* properties on one, the test module on the other.
    edxNode = await startTestNode({ id: 'props-edx', defaultIsolation: 'inline', modules: [path.join(SHIPPED_MODULES, 'edx')] });
    testNode = await startTestNode({
      id: 'props-test',
      defaultIsolation: 'inline',
      modules: [path.join(SHIPPED_MODULES, 'testmodule')],
    });
    mesh = await connect({ nodes: [edxNode.grpcAddress, testNode.grpcAddress] });
    offline = await local({ modules: [edx, testmodule] });
  });
  afterAll(async () => {
    await mesh?.close();
    await offline?.close();
    await edxNode?.stop();
    await testNode?.stop();
  });

  it('by name or <module>.<name>, dispatched by source, over gRPC and in local mode alike', async () => {
    for (const m of [mesh, offline]) {
      expect(await m.events.property(edxLine, 'edx.video_position')).toBe(12);
      expect(await m.events.property(edxLine, 'edx.course_id')).toBe('A/B/C');
      // Qualified with its module.
      expect(await m.events.property(edxLine, 'edx.edx.video_position')).toBe(12);
      // On the other node, through that node's own data layer.
      expect(await m.events.property(testEvent, 'djt_agent')).toBe('bob');
    }
    // tincan.actor has one implementation per source: edX lines and xAPI envelopes each get their own.
    const remoteEdx = await mesh.events.property(edxLine, 'tincan.actor');
    const remoteXapi = await mesh.events.property(statement, 'tincan.actor');
    expect(remoteEdx).toBeTruthy();
    expect(remoteXapi).toBeTruthy();
    expect(remoteEdx).toEqual(await offline.events.property(edxLine, 'tincan.actor'));
    expect(remoteXapi).toEqual(await offline.events.property(statement, 'tincan.actor'));
    expect(remoteXapi).not.toEqual(remoteEdx);
    expect(await mesh.events.property(xapiEnvelope, 'tincan.actor')).toEqual(remoteXapi);
    expect(await mesh.events.property(xapiEnvelope, 'tincan.verb')).toBe('http://adlnet.gov/expapi/verbs/completed');
  });

  it('errors name what is wrong: an unknown property, an event no data layer reads, a missing event', async () => {
    for (const m of [mesh, offline])
      await expect(m.events.property(edxLine, 'tincan.nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The edX node has no data layer for it (in local mode the test module's catch-all one reads it as a test event).
    await expect(mesh.events.property({ neither: 'edx nor envelope' }, 'edx.course_id')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // An envelope of a source no module serves the property for.
    await expect(mesh.events.property({ ...xapiEnvelope, source: 'caliper' }, 'edx.course_id')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const conn = new NodeConnection(edxNode.grpcAddress);
    try {
      await expect(
        conn.callUnary({ kind: 'event-property', name: 'edx.course_id', args: {}, deadline: Date.now() + 5000 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'event' });
    } finally {
      conn.close();
    }
  });

  it('foreign clients: unary gRPC Call with kind EVENT_PROPERTY, and HTTP POST /property/<name>', async () => {
    const conn = new NodeConnection(edxNode.grpcAddress);
    try {
      const outcome = await conn.callUnary({
        kind: 'event-property',
        name: 'edx.video_position',
        args: { event: edxLine },
        deadline: Date.now() + 5000,
      });
      expect(outcome).toEqual({ type: 'json', value: 12 });
    } finally {
      conn.close();
    }
    const r = await fetch(`http://${edxNode.httpAddress}/property/edx.course_id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: edxLine }),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toBe('A/B/C');
  });
});
