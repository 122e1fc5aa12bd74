/** Baseline server: raw NATS request/reply echo. */
import { connect } from '@nats-io/transport-node';

const nc = await connect({ servers: process.env.NATS_URL });
nc.subscribe('bench.echo', { callback: (_e, m) => void m.respond(m.data) });
await nc.flush();
process.stdout.write(`${JSON.stringify({ event: 'ready', address: 'bench.echo' })}\n`);
