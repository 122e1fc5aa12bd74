import { parseNodeConfig, startNode, type NodeConfigInput, type RunningNode } from '@insights/node';
import type { LogRecord } from '@insights/runtime';
import { tempDir } from './tmp.ts';

export interface TestNode extends RunningNode {
  readonly logs: LogRecord[];
  /** Closes the node and removes its data folder. */
  stop(): Promise<void>;
}

/** An in-process node on free loopback ports with a temporary data folder. */
export async function startTestNode(config: NodeConfigInput): Promise<TestNode> {
  const tmp = await tempDir('insights-node-');
  const logs: LogRecord[] = [];
  const node = await startNode(parseNodeConfig({ dataDir: tmp.dir, logLevel: 'debug', ...config }), {
    logSink: (r) => logs.push(r),
  });
  return Object.assign(Object.create(node) as RunningNode, node, {
    logs,
    stop: async () => {
      await node.close();
      await tmp.remove();
    },
  });
}
