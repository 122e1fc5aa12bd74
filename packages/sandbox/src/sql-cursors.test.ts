import type { SqlRow } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import type { SqlGatewayRequest } from '@insights/runtime/internal';
import { channelSqlGateway, SqlCursors } from './sql-cursors.ts';

/** A gateway that yields `batches` batches of two rows and records what it was asked and whether it was stopped. */
function fakeGateway(batches: number) {
  const seen: { module: string; request: SqlGatewayRequest; stopped: boolean }[] = [];
  return {
    seen,
    gateway: {
      async *run(module: string, request: SqlGatewayRequest): AsyncGenerator<SqlRow[]> {
        const entry = { module, request, stopped: false };
        seen.push(entry);
        try {
          for (let i = 0; i < batches; i++)
            yield [
              { i, j: 0 },
              { i, j: 1 },
            ];
        } finally {
          entry.stopped = request.signal?.aborted ?? false;
        }
      },
    },
  };
}

describe('SqlCursors and the channel gateway', () => {
  it('runs the statement as the module the host knows, and pages every batch across', async () => {
    const { gateway, seen } = fakeGateway(3);
    const host = new SqlCursors(gateway, () => 'lms-replica');
    const child = channelSqlGateway((m) => host.handle(m));
    const rows: SqlRow[] = [];
    for await (const batch of child.run('forged-name', {
      source: 'lms',
      text: 'SELECT 1',
      params: [],
      mode: 'stream',
      deadline: Date.now() + 5000,
    }))
      rows.push(...batch);
    expect(rows).toHaveLength(6);
    expect(seen[0]!.module).toBe('lms-replica');
  });

  it('a reader that stops early closes the statement on the host', async () => {
    const { gateway, seen } = fakeGateway(100);
    const host = new SqlCursors(gateway, () => 'm');
    const child = channelSqlGateway((m) => host.handle(m));
    for await (const _batch of child.run('m', {
      source: 's',
      text: 'SELECT 1',
      params: [],
      mode: 'stream',
      deadline: Date.now() + 5000,
    }))
      break;
    await expect.poll(() => seen[0]!.stopped).toBe(true);
  });

  it('refuses a ninth open statement, and closeAll stops them all', async () => {
    const { gateway, seen } = fakeGateway(100);
    const host = new SqlCursors(gateway, () => 'm');
    const open = () =>
      host.handle({ op: 'open', source: 's', text: 'SELECT 1', params: [], mode: 'stream', deadline: Date.now() + 5000 });
    for (let i = 0; i < 8; i++) expect((await open()).done).toBe(false);
    await expect(open()).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    host.closeAll();
    await expect.poll(() => seen.every((s) => s.stopped)).toBe(true);
  });

  it('without sql sources the answer is PERMISSION_DENIED naming the source', async () => {
    const host = new SqlCursors(undefined, () => 'm');
    await expect(
      host.handle({ op: 'open', source: 'lms', text: 'SELECT 1', params: [], deadline: Date.now() + 1000 }),
    ).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('sql source "lms"'),
    });
  });
});
