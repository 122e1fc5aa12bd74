/**
 * One "call" per target, all doing the same work: send small arguments (or ask for a large
 * result) and wait for the answer. The load loop is shared, so only the transport differs.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { connect as connectMesh } from '@insights/client';
import { connect as connectNats } from '@nats-io/transport-node';
import { SMALL_ARGS, SMALL_BYTES } from '../payloads.ts';

export type Call = () => Promise<unknown>;
export interface Caller {
  call: Call;
  close(): Promise<void>;
}

type Msg = { id: number; data: Buffer };
type Batch = { items: Msg[] };

function echoClient(address: string): grpc.Client & Record<string, (...a: unknown[]) => unknown> {
  const def = protoLoader.loadSync(new URL('../echo.proto', import.meta.url).pathname, { longs: Number, defaults: true });
  const Echo = (grpc.loadPackageDefinition(def).bench as { Echo: grpc.ServiceClientConstructor }).Echo;
  return new Echo(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 }) as never;
}

export async function makeCaller(target: string, address: string, payload: string): Promise<Caller> {
  switch (target) {
    case 'insights': {
      const mesh = await connectMesh({ nodes: [address], defaultTimeoutMs: 60_000 });
      const call: Call =
        payload === 'json1mb'
          ? () => mesh.query.big_json!()
          : payload === 'json1mb-raw'
            ? () => mesh.raw('query', 'big_json')
            : payload === 'png1mb'
              ? () => mesh.view.big_png!()
              : () => mesh.query.echo!(SMALL_ARGS);
      return { call, close: () => mesh.close() };
    }
    case 'grpc-unary': {
      const c = echoClient(address);
      let id = 0;
      const call: Call = () =>
        new Promise((resolve, reject) =>
          c.Unary!({ id: id++, data: SMALL_BYTES }, (e: Error | null, r: Msg) => (e ? reject(e) : resolve(r))),
        );
      return { call, close: async () => c.close() };
    }
    case 'grpc-stream':
    case 'grpc-batched': {
      const c = echoClient(address);
      const stream = c.Stream!() as grpc.ClientDuplexStream<Batch, Batch>;
      const pending = new Map<number, (m: Msg) => void>();
      stream.on('data', (b: Batch) => {
        for (const m of b.items) {
          pending.get(m.id)?.(m);
          pending.delete(m.id);
        }
      });
      let id = 0;
      let queue: Msg[] = [];
      let scheduled = false;
      const batched = target === 'grpc-batched';
      const call: Call = () =>
        new Promise((resolve) => {
          const m = { id: id++, data: SMALL_BYTES };
          pending.set(m.id, resolve);
          if (!batched) return void stream.write({ items: [m] });
          queue.push(m);
          if (!scheduled) {
            scheduled = true;
            setImmediate(() => {
              scheduled = false;
              stream.write({ items: queue });
              queue = [];
            });
          }
        });
      return {
        call,
        close: async () => {
          stream.end();
          c.close();
        },
      };
    }
    case 'nats': {
      const nc = await connectNats({ servers: address });
      return { call: () => nc.request('bench.echo', SMALL_BYTES, { timeout: 10_000 }), close: () => nc.close() };
    }
    case 'moleculer': {
      const { ServiceBroker } = await import('moleculer');
      const broker = new ServiceBroker({
        nodeID: `bench-client-${process.pid}`,
        transporter: { type: 'NATS', options: { servers: address } },
        logger: false,
      });
      await broker.start();
      await broker.waitForServices(['echo']);
      return { call: () => broker.call('echo.echo', SMALL_ARGS), close: () => broker.stop() };
    }
    default:
      throw new Error(`unknown target ${target}`);
  }
}
