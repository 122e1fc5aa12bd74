/** Baseline server: raw grpc-js, unary and bidirectional-stream echo of bench/echo.proto. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { bigPayload } from '../payloads.ts';

type Msg = { id: number; data: Buffer };
const def = protoLoader.loadSync(new URL('../echo.proto', import.meta.url).pathname, { longs: Number, defaults: true });
const Echo = (grpc.loadPackageDefinition(def).bench as { Echo: grpc.ServiceClientConstructor }).Echo;
const big = bigPayload(process.env.BENCH_PAYLOAD);

const server = new grpc.Server({ 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
server.addService(Echo.service, {
  Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) =>
    cb(null, big ? { id: call.request.id, data: big } : call.request),
  Stream: (stream: grpc.ServerDuplexStream<{ items: Msg[] }, { items: Msg[] }>) => {
    stream.on('data', (b: { items: Msg[] }) => stream.write(big ? { items: b.items.map((m) => ({ id: m.id, data: big })) } : b));
    stream.on('end', () => stream.end());
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ event: 'ready', address: `127.0.0.1:${port}` })}\n`);
});
