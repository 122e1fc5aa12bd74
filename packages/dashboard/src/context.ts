import type { AuditReader } from './audit-page.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Mesh } from '@insights/client';
import { ERROR_CODES, InsightsError } from '@insights/sdk';
import type { Asset } from './assets.ts';
import { parseCookies, type Authenticator } from './auth.ts';
import type { DashboardConfig } from './config.ts';
import type { EmbedSigner } from './embed.ts';
import type { NodeFiles } from './node-files.ts';
import type { Principal } from './principal.ts';
import type { ResultStore } from './results.ts';
import type { RoleMeshes } from './roles.ts';
import { publicError } from './run.ts';

/** What every route group shares. */
export interface DashboardContext {
  readonly config: DashboardConfig;
  /** The unrestricted proxy: only for the dashboard's own bookkeeping, never for a user's call. */
  readonly admin: Mesh;
  readonly auth: Authenticator;
  readonly roles: RoleMeshes;
  readonly results: ResultStore;
  readonly nodeFiles: NodeFiles;
  /** Absent without a signing key: then there are no embed URLs. */
  readonly embeds: EmbedSigner | undefined;
  readonly assets: ReadonlyMap<string, Asset>;
  readonly audit: AuditReader;
}

/** Headers on every HTML page and JSON answer. */
export const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

/** The principal of a request, or UNAUTHENTICATED. */
export function principalOf(ctx: DashboardContext, req: FastifyRequest): Principal {
  const p = ctx.auth.identify({
    headers: req.headers,
    peer: req.socket.remoteAddress,
    cookies: parseCookies(req.headers.cookie),
  });
  if (p === undefined) throw new InsightsError('UNAUTHENTICATED', 'log in first');
  return p;
}

export function sendJsonError(reply: FastifyReply, e: unknown): FastifyReply {
  const err = publicError(e);
  const status = ERROR_CODES[err.code as keyof typeof ERROR_CODES]?.http ?? 500;
  return reply.code(status).headers(COMMON_HEADERS).type('application/json; charset=utf-8').send({ error: err });
}
