/** @insights/node: the analytics node. */
export { startNode, NODE_VERSION } from './node.ts';
export type { RunningNode, StartNodeOptions, NodeState } from './node.ts';
export { parseNodeConfig, loadNodeConfigFile, nodeConfigSchema, ConfigError, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_REQUEST_BYTES } from './config.ts';
export type { NodeConfig, NodeConfigInput } from './config.ts';
export type { FailedModule } from './describe.ts';
export { toCsv, recordsToTable } from './csv.ts';
