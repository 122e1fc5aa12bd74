import path from 'node:path';
import { policyContextSchema, type PolicyContext } from '@insights/policy';
import { InsightsError } from '@insights/sdk';
import type { DashboardConfig } from './config.ts';
import { EmbedSigner } from './embed.ts';
import type { Principal } from './principal.ts';
import { UsersFile } from './users.ts';

export interface EmbedUrlRequest {
  /** `<module>.<name>` of the view. */
  readonly view: string;
  readonly args: Record<string, unknown>;
  /** A user of the users file (their role and context), or `role` and `context` given directly. */
  readonly user?: string;
  readonly role?: string;
  readonly context?: PolicyContext;
  readonly ttlSeconds: number;
}

/**
 * An embed URL minted offline, from the configuration alone (for `insights dashboard embed`,
 * e.g. run by the LMS when it builds an instructor's page). The view is checked when the URL is
 * used, with the role's policy of that moment.
 */
export function mintEmbedUrl(config: DashboardConfig, r: EmbedUrlRequest): string {
  if (config.signingKeyPem === undefined)
    throw new InsightsError('FAILED_PRECONDITION', 'embed URLs need the mesh signing key (signingKey in the dashboard config)', {
      parameter: 'signingKey',
    });
  if (!(r.ttlSeconds > 0 && r.ttlSeconds <= config.embed.maxTtlSeconds))
    throw new InsightsError('INVALID_ARGUMENT', `ttl must be between 1 and ${config.embed.maxTtlSeconds} seconds`, {
      parameter: 'ttl',
    });
  const principal = principalFor(config, r);
  const token = new EmbedSigner(config.signingKeyPem).mint(r.view, r.args, principal, r.ttlSeconds);
  const origin =
    config.publicUrl?.replace(/\/$/, '') ??
    `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  return `${origin}/embed/${token}`;
}

function principalFor(config: DashboardConfig, r: EmbedUrlRequest): Principal {
  const roles = Object.keys(config.roles);
  if (r.user !== undefined) {
    const file = config.auth.kind === 'none' ? undefined : config.auth.usersFile;
    if (file === undefined)
      throw new InsightsError(
        'INVALID_ARGUMENT',
        'this dashboard has no users file: give --role (and --context) instead of --user',
        { parameter: 'user' },
      );
    const u = new UsersFile(path.resolve(config.baseDir, file), roles).get(r.user);
    if (u === undefined) throw new InsightsError('NOT_FOUND', `no user ${r.user} in ${file}`, { parameter: 'user' });
    return { user: r.user, name: u.name ?? r.user, role: u.role, context: u.context, via: 'embed', generation: u.generation };
  }
  if (r.role === undefined || !roles.includes(r.role))
    throw new InsightsError('INVALID_ARGUMENT', `give --user, or --role with one of: ${roles.join(', ')}`, { parameter: 'role' });
  const context = policyContextSchema.parse(r.context ?? {});
  return { user: `role:${r.role}`, name: r.role, role: r.role, context, via: 'embed' };
}
