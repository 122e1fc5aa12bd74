/** @insights/sql: read-replica SQL sources that the node runs on behalf of the modules granted them. */
export { SqlSources, MAX_STATEMENT_CHARS } from './sql-sources.ts';
export type { SqlRequest, SqlSourceSummary } from './sql-sources.ts';
export { sqlSourceSchema, sqlSourcesSchema, resolveSource } from './source-config.ts';
export type { SqlSourceConfig, ResolvedSource } from './source-config.ts';
export { SQL_LIMIT_DEFAULTS } from './limits.ts';
export type { SqlLimits } from './limits.ts';
export type { SqlParam, SqlRow } from './engine.ts';
