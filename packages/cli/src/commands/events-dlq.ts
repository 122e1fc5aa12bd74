import { ONLY_HANDLER_HEADER, subjectFor } from '@insights/node/event-subjects';
import { connectNatsWithRetry } from '@insights/registry';
import { InsightsError, type EventEnvelope } from '@insights/sdk';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { natsWithCredentials } from '../nats-credentials.ts';
import { formatTable } from '../output.ts';

const DLQ_STREAM = 'INSIGHTS_DLQ';

interface DeadLetter {
  seq: number;
  module: string;
  handler: string;
  error: string;
  attempts: number;
  failedAt: string;
  event: { id?: string; source?: string; type?: string } | string;
}

/** `insights events dlq [--redrive] [--handler m.h]`: lists dead-lettered events; re-drives them to their handler. */
export async function runEventsDlq(opts: { nats?: string; handler?: string; redrive?: boolean; json?: boolean }): Promise<void> {
  const url = opts.nats ?? process.env.NATS_URL;
  if (!url)
    throw new InsightsError(
      'INVALID_ARGUMENT',
      'the dead-letter subject lives in NATS: pass --nats nats://host:port or set NATS_URL',
      { parameter: 'nats' },
    );
  const nc = await connectNatsWithRetry(natsWithCredentials(url), { maxDelayMs: 1000, signal: AbortSignal.timeout(10_000) });
  try {
    const jsm = await jetstreamManager(nc);
    const letters = (await readAll(jsm)).filter((d) => opts.handler === undefined || `${d.module}.${d.handler}` === opts.handler);
    if (!opts.redrive) {
      if (opts.json) return void process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
      if (letters.length === 0) return void process.stdout.write('no dead-lettered events\n');
      process.stdout.write(
        `${formatTable(
          ['SEQ', 'HANDLER', 'EVENT', 'ATTEMPTS', 'FAILED AT', 'ERROR'],
          letters.map((d) => [
            d.seq,
            `${d.module}.${d.handler}`,
            typeof d.event === 'string' ? '(undecodable)' : `${d.event.type} ${d.event.id}`,
            d.attempts,
            d.failedAt,
            d.error.slice(0, 80),
          ]),
        )}\n`,
      );
      return;
    }
    const js = jetstream(nc);
    let redriven = 0;
    for (const d of letters) {
      if (typeof d.event === 'string') continue;
      const h = natsHeaders();
      h.set(ONLY_HANDLER_HEADER, `${d.module}.${d.handler}`);
      const e = d.event as EventEnvelope;
      // The keyed layout nodes publish on: a partitioned handler reads it in one partition only.
      const subject = subjectFor(e);
      // A new message id: the original is inside the duplicate window's memory, or long gone.
      await js.publish(subject, new TextEncoder().encode(JSON.stringify(e)), { msgID: `redrive:${e.id}:${d.seq}`, headers: h });
      await jsm.streams.deleteMessage(DLQ_STREAM, d.seq);
      redriven++;
    }
    process.stdout.write(`re-drove ${redriven} event(s) to their handlers\n`);
  } finally {
    await nc.close();
  }
}

async function readAll(jsm: JetStreamManager): Promise<DeadLetter[]> {
  const info = await jsm.streams.info(DLQ_STREAM).catch(() => undefined);
  if (info === undefined || info.state.messages === 0) return [];
  const out: DeadLetter[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    // null: deleted (re-driven) meanwhile.
    const m = await jsm.streams.getMessage(DLQ_STREAM, { seq }).catch(() => null);
    if (m === null) continue;
    out.push({ seq, ...(JSON.parse(new TextDecoder().decode(m.data)) as Omit<DeadLetter, 'seq'>) });
  }
  return out;
}
