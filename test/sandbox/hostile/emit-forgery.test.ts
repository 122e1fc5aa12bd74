import { stableEventId } from '@insights/runtime';
import { connect, type Mesh } from '@insights/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../support/test-node.ts';
import { hostile, query, waitFor, whileProbingGood } from '../support.ts';

interface Report {
  answers: Record<string, { code: string; message: string }>;
  received: { _id: string; type: string; source: string; hops: number }[];
}

/**
 * Forged `emit` envelopes (issue 13): a sandbox sends only what a module may decide; the host sets
 * source, id and hops from the events it sent. Forged messages fail with coded errors, and only the
 * event emitted the normal way arrives, as the host derived it.
 */
describe('sandbox hostile - forged emits', () => {
  let node: TestNode;
  let mesh: Mesh;
  beforeAll(async () => {
    node = await startTestNode({ modules: [hostile('good'), hostile('emit-forger')] });
    mesh = await connect({ nodes: [node.grpcAddress] });
  }, 120_000);
  afterAll(async () => {
    await mesh.close();
    await node.stop();
  });

  it('emit - forged source, id, hops and causes are refused; the normal emit arrives with what the host derived', async () => {
    const trigger = { id: 't1', time: '2026-01-05T10:00:00Z', source: 'test', type: 'forge.trigger', actor: 'ada', payload: {} };
    let report: Report | undefined;
    await whileProbingGood(mesh, 'forged emits', async () => {
      await node.events.ingest([trigger]);
      await waitFor('the derived event to be recorded', async () => {
        report = (await query(node, 'emit-forger.report')) as Report;
        return report.received.length > 0 && Object.keys(report.answers).length === 4;
      });
    });
    const answers = Object.values(report!.answers);
    expect(answers.map((a) => a.code)).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'PERMISSION_DENIED',
      'PERMISSION_DENIED',
    ]);
    expect(answers[0]!.message).toMatch(/may not set "source": the node sets source, id, time and hops/);
    expect(answers[1]!.message).toMatch(/may not set "source"/);
    expect(answers[2]!.message).toMatch(/is not handling the events it names/);
    expect(answers[3]!.message).toMatch(/handler "record" is not handling the events it names/);
    const id = stableEventId({ from: 'emit-forger.forge', after: ['t1'], type: 'forged.legit', payload: { n: 1 } });
    expect(report!.received).toEqual([{ _id: id, type: 'forged.legit', source: 'emit-forger', hops: 1 }]);
    expect(await query(node, 'good.ping')).toBe('pong');
  });
});
