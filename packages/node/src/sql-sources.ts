/**
 * The node's read replicas (`sql.sources`): started once, shared by every module granted one.
 * Modules reach them through `ctx.sql`, inline directly, sandboxed over the channel; either way
 * the node runs the statement and the module never sees an address or a password.
 */
import { resolveSource, SqlSources } from '@insights/sql';
import type { SqlGateway } from '@insights/runtime';
import type { NodeConfig } from './config.ts';

export interface NodeSqlSources extends SqlGateway {
  readonly sources: SqlSources;
  close(): Promise<void>;
}

export function startSqlSources(config: NodeConfig): NodeSqlSources | undefined {
  const entries = Object.entries(config.sql.sources);
  if (entries.length === 0) return undefined;
  const sources = new SqlSources(entries.map(([name, c]) => resolveSource(name, c, config.baseDir)));
  return {
    sources,
    run: (module, request) => sources.run(module, request),
    close: () => sources.close(),
  };
}
