import { connect, local, type Mesh } from '@insights/client';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';

const EDX = path.join(SHIPPED_MODULES, 'edx');
/** One tracking-log line of learner 7 that converts to one xAPI statement. */
const EVENT = {
  username: 'bob',
  event_type: 'play_video',
  name: 'play_video',
  event_source: 'browser',
  time: '2024-03-01T10:00:00.250000+00:00',
  context: { user_id: 7, course_id: 'course-v1:TestX+T101+2024', org_id: 'TestX' },
  event: JSON.stringify({ id: 'v1', code: 'html5', currentTime: 12.3456 }),
};
/** What modules/edx produced before: an unsalted sha256, which anyone reverses by hashing every id. */
const UNKEYED = createHash('sha256').update('insights:7').digest('hex').slice(0, 32);

type Statement = { actor: { account: { name: string } }; id: string };
const actorOf = async (mesh: Mesh) => ((await mesh.query['edx.to_xapi']!({ event: EVENT })) as Statement).actor.account.name;

/**
 * modules/edx's xAPI actor ids are keyed by the deployment's learner-id key, which only the node
 * holds: in a process sandbox the module asks the node over its channel (ctx.learnerId).
 */
describe('keyed learner ids - edX-to-xAPI actors', () => {
  let sandboxed: TestNode;
  let inline: TestNode;
  const meshes: Mesh[] = [];

  beforeAll(async () => {
    [sandboxed, inline] = await Promise.all([
      startTestNode({ defaultIsolation: 'process', learnerIds: { key: 'k'.repeat(32) }, modules: [EDX] }),
      startTestNode({ defaultIsolation: 'inline', learnerIds: { key: 'j'.repeat(32) }, modules: [EDX] }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await Promise.all([sandboxed?.stop(), inline?.stop()]);
  });

  const meshOf = async (node: TestNode) => {
    const m = await connect({ nodes: [node.grpcAddress] });
    meshes.push(m);
    return m;
  };

  it('stable under one key, different under another, never the old unsalted hash', async () => {
    const a = await meshOf(sandboxed);
    const b = await meshOf(inline);
    const underK = await actorOf(a);
    expect(underK).toMatch(/^[0-9a-f]{32}$/);
    expect(await actorOf(a)).toBe(underK);
    const underJ = await actorOf(b);
    expect(underJ).toMatch(/^[0-9a-f]{32}$/);
    expect(underJ).not.toBe(underK);
    expect([underK, underJ]).not.toContain(UNKEYED);
  });

  it('without a key, the call fails naming the setting (and local() takes the key as an option)', async () => {
    const keyless = await local({ modules: [EDX] });
    meshes.push(keyless);
    await expect(keyless.query['edx.to_xapi']!({ event: EVENT })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('learnerIds.key'),
    });
    const keyed = await local({ modules: [EDX], learnerIdKey: 'j'.repeat(32) });
    meshes.push(keyed);
    expect(await actorOf(keyed)).toBe(await actorOf(await meshOf(inline)));
  });
});
