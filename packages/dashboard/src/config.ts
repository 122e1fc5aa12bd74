import { readFileSync } from 'node:fs';
import path from 'node:path';
import { policySchema } from '@insights/policy';
import { natsSettingsSchema } from '@insights/registry';
import { InsightsError } from '@insights/sdk';
import { z } from 'zod';

export const DEFAULT_PORT = 8080;
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 3600;
/** Embed URLs are bearer links: short by default (an hour), at most a week unless the operator allows longer. */
export const DEFAULT_EMBED_TTL_SECONDS = 3600;
export const DEFAULT_MAX_EMBED_TTL_SECONDS = 7 * 24 * 3600;

const roleSchema = z.strictObject({
  /** What this role may call: the mesh's policy language (allow / deny / lock to the user's context). */
  policy: policySchema,
  description: z.string().optional(),
});

const authSchema = z.discriminatedUnion('kind', [
  /** Everyone is one role: for a laptop, behind another gate. */
  z.strictObject({ kind: z.literal('none'), role: z.string().min(1) }),
  /** A login form against a users file with scrypt password hashes. */
  z.strictObject({ kind: z.literal('users'), usersFile: z.string().min(1) }),
  /** Single sign-on: a trusted reverse proxy authenticates and names the user in a header. */
  z.strictObject({
    kind: z.literal('header'),
    userHeader: z.string().min(1).default('x-forwarded-user'),
    /** Role and context per user (passwords are not used); users missing from it get `defaultRole`. */
    usersFile: z.string().min(1).optional(),
    defaultRole: z.string().min(1).optional(),
    /** Peer addresses allowed to set the header; requests from elsewhere are refused. */
    trustedProxies: z.array(z.string().min(1)).default(['127.0.0.1', '::1', '::ffff:127.0.0.1']),
  }),
]);

/** The dashboard's configuration file (JSON). Every key is checked at start; errors name the key. */
export const dashboardConfigSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
  /** Where the mesh is: a NATS registry and/or node gRPC addresses. */
  mesh: z
    .strictObject({
      nats: z.union([z.string().min(1), natsSettingsSchema]).optional(),
      nodes: z.array(z.string().min(1)).default([]),
      bucket: z.string().optional(),
      /** The mesh's public keys (PEM text or file paths): believe only registry entries of certified nodes. */
      trustedKeys: z.array(z.string().min(1)).default([]),
      /** The mesh id: the users' capabilities name it (nodes with identity.meshId require it). */
      meshId: z.string().min(1).optional(),
    })
    .refine((m) => m.nats !== undefined || m.nodes.length > 0, 'give a NATS registry URL (nats) or node addresses (nodes)'),
  /** The mesh's private signing key (PEM text or a file path): the dashboard mints each user's capability. */
  signingKey: z.string().min(1).optional(),
  auth: authSchema.default({ kind: 'none', role: 'admin' }),
  roles: z.record(z.string().min(1), roleSchema).default({ admin: { policy: { default: 'allow', rules: [] } } }),
  embed: z
    .strictObject({
      /** Origins allowed to frame embed URLs (CSP frame-ancestors), e.g. the LMS. */
      frameAncestors: z.array(z.string().min(1)).default([]),
      maxTtlSeconds: z.number().int().positive().default(DEFAULT_MAX_EMBED_TTL_SECONDS),
    })
    .default({ frameAncestors: [], maxTtlSeconds: DEFAULT_MAX_EMBED_TTL_SECONDS }),
  /** The audit page (/admin/audit): which roles may read the mesh's audit trail (none by default). */
  audit: z
    .strictObject({
      roles: z.array(z.string().min(1)).default([]),
      stream: z.string().min(1).default('INSIGHTS_AUDIT'),
    })
    .default({ roles: [], stream: 'INSIGHTS_AUDIT' }),
  /** Deadline of a call when the form gives none, ms. */
  callTimeoutMs: z.number().int().positive().default(DEFAULT_CALL_TIMEOUT_MS),
  sessionTtlSeconds: z.number().int().positive().default(DEFAULT_SESSION_TTL_SECONDS),
  /** Mark cookies Secure (set it when the dashboard is served over HTTPS). */
  secureCookies: z.boolean().default(false),
  /** Public origin used in embed URLs (default: the listening address). */
  publicUrl: z.string().url().optional(),
});

export type DashboardConfigInput = z.input<typeof dashboardConfigSchema>;
export type DashboardConfig = Readonly<z.output<typeof dashboardConfigSchema>> & {
  /** The signing key as PEM text (read from the file if a path was given). */
  readonly signingKeyPem: string | undefined;
  /** Folder relative paths in the file are resolved against. */
  readonly baseDir: string;
};

/** Parses and checks a configuration: the first problem is an INVALID_ARGUMENT naming the key. */
export function parseDashboardConfig(input: unknown, baseDir = process.cwd()): DashboardConfig {
  const r = dashboardConfigSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue?.path.join('.') || '(root)';
    throw new InsightsError('INVALID_ARGUMENT', `dashboard config: ${key}: ${issue?.message ?? 'invalid'}`, { parameter: key });
  }
  const c = r.data;
  const roleNames = Object.keys(c.roles);
  const named = [c.auth.kind === 'none' ? c.auth.role : undefined, c.auth.kind === 'header' ? c.auth.defaultRole : undefined];
  for (const role of named)
    if (role !== undefined && !roleNames.includes(role))
      throw new InsightsError(
        'INVALID_ARGUMENT',
        `dashboard config: auth: role "${role}" is not in roles (${roleNames.join(', ')})`,
        {
          parameter: 'auth',
        },
      );
  const signingKeyPem = c.signingKey === undefined ? undefined : readKey(c.signingKey, baseDir);
  const restricting = Object.values(c.roles).some((role) => role.policy.default !== 'allow' || role.policy.rules.length > 0);
  if (restricting && signingKeyPem === undefined)
    throw new InsightsError(
      'INVALID_ARGUMENT',
      'dashboard config: signingKey: roles that restrict need the mesh signing key, so nodes can enforce them',
      {
        parameter: 'signingKey',
      },
    );
  const mesh = { ...c.mesh, trustedKeys: c.mesh.trustedKeys.map((k) => readKey(k, baseDir, 'mesh.trustedKeys')) };
  return Object.freeze({ ...c, mesh, signingKeyPem, baseDir });
}

export function loadDashboardConfigFile(file: string): DashboardConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `dashboard config ${file}: ${(e as Error).message}`, { parameter: 'config' });
  }
  return parseDashboardConfig(raw, path.dirname(path.resolve(file)));
}

function readKey(value: string, baseDir: string, key = 'signingKey'): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(path.resolve(baseDir, value), 'utf8');
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `dashboard config: ${key}: cannot read ${value}: ${(e as Error).message}`, {
      parameter: key,
    });
  }
}
