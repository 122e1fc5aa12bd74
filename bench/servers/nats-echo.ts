/** Baseline server: raw NATS request/reply echo. */
import { connect } from 'nats';

const nc = await connect({ servers: process.env.NATS_URL });
nc.subscribe('bench.echo', { callback: (_e, m) => m.respond(m.data) });
await nc.flush();
process.stdout.write(`${JSON.stringify({ event: 'ready', address: 'bench.echo' })}\n`);
