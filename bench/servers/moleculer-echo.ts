/** Baseline server: a Moleculer 0.15 service over the same NATS server. */
import { ServiceBroker } from 'moleculer';

const broker = new ServiceBroker({
  nodeID: 'bench-server',
  transporter: { type: 'NATS', options: { servers: process.env.NATS_URL } },
  logger: false,
});
broker.createService({ name: 'echo', actions: { echo: (ctx: { params: unknown }) => ctx.params } });
await broker.start();
process.stdout.write(`${JSON.stringify({ event: 'ready', address: 'echo.echo' })}\n`);
