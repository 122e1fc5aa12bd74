/**
 * The sandbox's remote Db against the host's broker, over a stand-in for the channel (values and
 * errors cross as structured clones, errors as WireErrors): the same conformance suite as the
 * engines, so module code behaves the same in a sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDbConformance } from '@insights/db/conformance';
import { createDbProvider } from '@insights/db';
import { errorFromHost } from './child-env.ts';
import { DbBroker, MAX_OPEN_CURSORS } from './db-broker.ts';
import { toWireError } from './protocol.ts';
import { remoteDbProvider } from './remote-db.ts';

async function openRemote() {
  const dir = await mkdtemp(path.join(tmpdir(), 'insights-remote-db-'));
  const provider = createDbProvider({ kind: 'embedded', dir });
  const broker = new DbBroker(() => provider.forModule('conformance'));
  const sent: unknown[] = [];
  const send = (op: unknown) => {
    sent.push(op);
    return broker.run(structuredClone(op)).then(
      (v) => structuredClone(v),
      (e: unknown) => Promise.reject(errorFromHost(toWireError(e))),
    );
  };
  const db = await remoteDbProvider(send).forModule('conformance');
  return {
    db,
    broker,
    sent,
    send,
    async close() {
      await broker.close();
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeDbConformance('remote (sandbox through the node)', openRemote);

describe('remote db - cursors and refusals', () => {
  it('remote db - a cursor crosses in batches as it is read, and leaving early closes it on the host', async () => {
    const r = await openRemote();
    try {
      const c = r.db.collection('n');
      await c.insertMany(Array.from({ length: 2500 }, (_, i) => ({ _id: i })));
      r.sent.length = 0;
      let n = 0;
      for await (const _d of c.find({})) if (++n === 150) break;
      await new Promise((res) => setImmediate(res));
      expect(r.sent.map((o) => (o as { op: string }).op)).toEqual(['find', 'more', 'close-cursor']);
      r.sent.length = 0;
      expect(await c.find({}).toArray()).toHaveLength(2500);
      expect(r.sent.map((o) => (o as { op: string }).op)).toEqual(['find', 'more', 'more']);
    } finally {
      await r.close();
    }
  });

  it('remote db - a module holds a bounded number of open cursors (RESOURCE_EXHAUSTED names the limit)', async () => {
    const r = await openRemote();
    try {
      await r.db.collection('n').insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: i })));
      const open = (batch: number) => r.send({ op: 'find', collection: 'n', filter: {}, options: {}, batch });
      for (let i = 0; i < MAX_OPEN_CURSORS; i++) await open(1);
      await expect(open(1)).rejects.toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining('MAX_OPEN_CURSORS'),
      });
      // A cursor read to its end frees its place.
      await r.send({ op: 'close-cursor', cursor: 1 });
      expect(((await open(1000)) as { cursor?: number }).cursor).toBeUndefined();
    } finally {
      await r.close();
    }
  });

  it('remote db - malformed operations are refused with INVALID_ARGUMENT naming what is wrong', async () => {
    const r = await openRemote();
    try {
      const refused = (op: unknown) =>
        r.send(op).then(
          () => 'ran',
          (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
        );
      expect(await refused({ op: 'drop' })).toMatch(/INVALID_ARGUMENT: .*unknown operation "drop"/);
      expect(await refused({ op: 'list-collections', db: 'other' })).toMatch(/unexpected field "db"/);
      expect(await refused({ op: 'call', collection: 'n', method: '__proto__', args: [] })).toMatch(/unknown collection method/);
      expect(await refused({ op: 'find', collection: 'n', filter: {}, options: {}, batch: 10 ** 9 })).toMatch(/batch must be/);
      expect(await refused({ op: 'more', cursor: 42, batch: 1 })).toMatch(/NOT_FOUND: cursor 42 is closed/);
    } finally {
      await r.close();
    }
  });
});
