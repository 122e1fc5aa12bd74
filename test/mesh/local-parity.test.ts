import { connect, local } from '@insights/client';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import examples from '../../modules/examples/src/index.ts';
import testmodule from '../../modules/testmodule/src/index.ts';
import { startTestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';

describe('local mode - the same answers as the mesh for the same modules', () => {
  it('queries, views and errors agree', async () => {
    const node = await startTestNode({
      modules: [path.join(SHIPPED_MODULES, 'examples'), path.join(SHIPPED_MODULES, 'testmodule')],
    });
    const remote = await connect({ nodes: [node.grpcAddress] });
    const offline = await local({ modules: [examples, testmodule] });
    try {
      const calls: [string, Record<string, unknown>][] = [
        ['get_grades', { course: 'X/Y/Z', learners: 50 }],
        ['hello_user', { user: 'ada' }],
        ['djt_check_three_name', {}],
        ['djt_user_event_count', { user: 'nobody' }],
      ];
      for (const [name, args] of calls) expect(await offline.query[name]!(args), name).toEqual(await remote.query[name]!(args));
      expect(await offline.view.djt_fake_user_count!()).toEqual(await remote.view.djt_fake_user_count!());
      const err = (p: Promise<unknown>) =>
        p.then(
          () => undefined,
          (e: { code: string; parameter?: string }) => ({ code: e.code, parameter: e.parameter }),
        );
      expect(await err(offline.query.hello_user!({}))).toEqual(await err(remote.query.hello_user!({})));
      expect(await err(offline.query.get_grades!({ learners: 'x' }))).toEqual(
        await err(remote.query.get_grades!({ learners: 'x' })),
      );
      expect(Object.keys(offline.query).sort()).toEqual(Object.keys(remote.query).sort());
    } finally {
      await offline.close();
      await remote.close();
      await node.stop();
    }
  });
});
