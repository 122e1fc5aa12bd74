import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';

const require = createRequire(path.join(import.meta.dirname, '..', '..', 'packages', 'node', 'package.json'));
const REFLECTION_PROTO = path.join(
  path.dirname(require.resolve('@grpc/reflection')),
  '..',
  'proto',
  'grpc',
  'reflection',
  'v1',
  'reflection.proto',
);

type ReflectionResponse = {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
};

/** Asks the reflection service one question, as grpcurl does. */
function ask(address: string, request: object): Promise<ReflectionResponse> {
  const def = protoLoader.loadSync(REFLECTION_PROTO, { keepCase: false });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse>;
  };
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (r: ReflectionResponse) => {
      resolve(r);
      stream.end();
      client.close();
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

/** Wraps FileDescriptorProtos into a FileDescriptorSet (field 1, length-delimited, repeated). */
function descriptorSet(files: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const len: number[] = [];
    let n = f.length;
    do {
      len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    parts.push(Buffer.from([0x0a, ...len]), f);
  }
  return Buffer.concat(parts);
}

describe('reflection - discover and call the API with nothing but the running node', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ modules: [path.join(SHIPPED_MODULES, 'examples')] });
  });
  afterAll(() => node.stop());

  it('lists the services, fetches the schema, builds a client from it and calls', async () => {
    const list = await ask(node.grpcAddress, { listServices: '' });
    const names = list.listServicesResponse?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['insights.v1.Insights', 'grpc.health.v1.Health']));

    const files = await ask(node.grpcAddress, { fileContainingSymbol: 'insights.v1.Insights' });
    const fds = files.fileDescriptorResponse?.fileDescriptorProto ?? [];
    expect(fds.length).toBeGreaterThan(0);

    // From here on we know nothing but what reflection told us.
    const def = protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet(fds));
    const Insights = grpc.makeClientConstructor(def['insights.v1.Insights'] as grpc.ServiceDefinition, 'Insights');
    const client = new Insights(node.grpcAddress, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Call(req: object, cb: (e: Error | null, r: { result: { data: Buffer } }) => void): void;
    };
    const r = await new Promise<{ result: { data: Buffer } }>((res, rej) =>
      client.Call({ kind: 'QUERY', name: 'hello_user', argsJson: Buffer.from('{"user":"grpcurl"}') }, (e, x) =>
        e ? rej(e) : res(x),
      ),
    );
    expect(r.result.data.toString()).toBe('"Hello, grpcurl!"');
    client.close();
  });
});
