/**
 * A node's SQL sources as the operator writes them. Credentials come from a file (or the config
 * itself for local setups); they stay in the node, never in a module's context or sandbox.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SqlConnection } from './connection.ts';
import { SQL_LIMIT_DEFAULTS, type SqlLimits } from './limits.ts';

export const sqlSourceSchema = z
  .strictObject({
    kind: z.enum(['mysql', 'postgres']).describe('mysql covers MySQL and MariaDB'),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).optional().describe('default 3306 (mysql) or 5432 (postgres)'),
    database: z.string().min(1),
    user: z.string().min(1).describe('a read-only user: grant it SELECT only'),
    password: z.string().optional().describe('prefer passwordFile outside development'),
    passwordFile: z.string().optional().describe('file holding the password (read at start)'),
    poolSize: z.number().int().min(1).max(64).default(4),
    modules: z.array(z.string()).default([]).describe('modules granted this source; no one else may use it'),
    limits: z
      .strictObject({
        maxRows: z.number().int().min(1).default(SQL_LIMIT_DEFAULTS.maxRows),
        maxBytes: z.number().int().min(1024).default(SQL_LIMIT_DEFAULTS.maxBytes),
        maxStreamedRows: z.number().int().min(1).default(SQL_LIMIT_DEFAULTS.maxStreamedRows),
        statementTimeoutMs: z.number().int().min(1).default(SQL_LIMIT_DEFAULTS.statementTimeoutMs),
      })
      .default(SQL_LIMIT_DEFAULTS),
  })
  .refine((s) => !(s.password !== undefined && s.passwordFile !== undefined), {
    message: 'give password or passwordFile, not both',
  });

export const sqlSourcesSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a source name is lowercase letters, digits, _ and -'), sqlSourceSchema)
  .default({});

export type SqlSourceConfig = z.infer<typeof sqlSourceSchema>;

export interface ResolvedSource {
  readonly name: string;
  readonly kind: 'mysql' | 'postgres';
  readonly connection: SqlConnection;
  readonly modules: ReadonlySet<string>;
  readonly limits: SqlLimits;
}

/** Reads the password file (relative to the config's folder) and fills in defaults. */
export function resolveSource(name: string, c: SqlSourceConfig, baseDir: string): ResolvedSource {
  let password = c.password ?? '';
  if (c.passwordFile !== undefined) {
    const file = c.passwordFile.startsWith('/') ? c.passwordFile : `${baseDir}/${c.passwordFile}`;
    try {
      password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new Error(`sql.sources.${name}.passwordFile: cannot read ${file} (${(e as Error).message})`, { cause: e });
    }
  }
  return {
    name,
    kind: c.kind,
    connection: {
      host: c.host,
      port: c.port ?? (c.kind === 'mysql' ? 3306 : 5432),
      user: c.user,
      password,
      database: c.database,
      poolSize: c.poolSize,
    },
    modules: new Set(c.modules),
    limits: c.limits,
  };
}
