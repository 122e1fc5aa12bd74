import { createLogger } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { AuditBacklog } from './audit-backlog.ts';
import { AuditShipper } from './audit-shipper.ts';
import type { JetStreamPublisher } from './events/jetstream-publisher.ts';

/** A publisher that records each message's record count and acknowledges when told. */
function fakePublisher() {
  const sent: number[] = [];
  const acks: (() => void)[] = [];
  const publisher = {
    publish: (_subject: string, data: Uint8Array) => {
      const text = Buffer.from(data).toString();
      sent.push(text.startsWith('[') ? (JSON.parse(text) as unknown[]).length : 1);
      return new Promise<void>((resolve) => acks.push(resolve));
    },
  } as unknown as JetStreamPublisher;
  return { publisher, sent, acks };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('audit shipper', () => {
  it('a few records wait briefly to share a message; many go at once; one message is out at a time', async () => {
    const log = createLogger(() => {});
    const backlog = new AuditBacklog(1 << 20, 'refuse', log);
    const { publisher, sent, acks } = fakePublisher();
    const shipper = new AuditShipper(publisher, 'insights.audit.n', backlog, log);
    for (let i = 0; i < 3; i++) {
      backlog.add(JSON.stringify({ i }));
      shipper.pump();
    }
    expect(sent).toEqual([]); // a node serving calls one by one does not send a message per call
    await sleep(30);
    expect(sent).toEqual([3]);
    for (let i = 0; i < 100; i++) backlog.add(JSON.stringify({ i }));
    shipper.pump();
    expect(sent).toEqual([3]); // the first message is not acknowledged yet
    acks.shift()!();
    await sleep(0);
    expect(sent).toEqual([3, 100]); // a full enough message goes at once after the acknowledgement
    acks.shift()!();
    await sleep(0);
    expect(backlog.counts().backlogRecords).toBe(0);
    shipper.close();
  });
});
