import Fastify from 'fastify';
import { connect, type Mesh } from '@insights/client';
import { InsightsError } from '@insights/sdk';
import { loadAssets } from './assets.ts';
import { Authenticator } from './auth.ts';
import type { DashboardConfig } from './config.ts';
import { COMMON_HEADERS, sendJsonError, type DashboardContext } from './context.ts';
import { EmbedSigner } from './embed.ts';
import { NodeFiles } from './node-files.ts';
import { ResultStore } from './results.ts';
import { RoleMeshes } from './roles.ts';
import { AuditReader } from './audit-page.ts';
import { registerApiRoutes } from './routes-api.ts';
import { registerAuthRoutes } from './routes-auth.ts';
import { registerFrameRoutes } from './routes-frames.ts';
import { registerPageRoutes } from './routes-pages.ts';

/** How often directly listed nodes (not in a registry) are described again, ms. */
const DIRECT_REFRESH_MS = 5_000;

export interface RunningDashboard {
  /** `http://host:port` it listens on. */
  readonly url: string;
  /** The unrestricted mesh proxy the dashboard holds. */
  readonly mesh: Mesh;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartDashboardOptions {
  /** Use this mesh instead of connecting (tests, or a host that already has one); not closed by the dashboard. */
  readonly mesh?: Mesh;
}

/**
 * Starts the dashboard: a mesh client (with the signing key, so it can mint each role's
 * capability) and an HTTP server for the page, its live list, runs with progress, sandboxed
 * view frames, downloads and embed URLs.
 */
export async function startDashboard(config: DashboardConfig, options: StartDashboardOptions = {}): Promise<RunningDashboard> {
  const assets = await loadAssets();
  const admin =
    options.mesh ??
    (await connect({
      ...(config.mesh.nats === undefined ? {} : { nats: config.mesh.nats }),
      nodes: config.mesh.nodes,
      ...(config.mesh.bucket === undefined ? {} : { bucket: config.mesh.bucket }),
      ...(config.signingKeyPem === undefined ? {} : { signingKey: config.signingKeyPem }),
      ...(config.mesh.trustedKeys.length === 0 ? {} : { trustedKeys: config.mesh.trustedKeys }),
      ...(config.mesh.meshId === undefined ? {} : { meshId: config.mesh.meshId }),
      defaultTimeoutMs: config.callTimeoutMs,
    }));
  const auth = new Authenticator(config);
  const ctx: DashboardContext = {
    config,
    admin,
    auth,
    roles: new RoleMeshes(admin, config),
    results: new ResultStore(),
    nodeFiles: new NodeFiles(() => admin.capability()),
    embeds: config.signingKeyPem === undefined ? undefined : new EmbedSigner(config.signingKeyPem),
    assets,
    audit: new AuditReader(config),
  };

  // Embed tokens are long path parameters (the router's default limit is 100 characters).
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, routerOptions: { maxParamLength: 8192 } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const e = err.statusCode !== undefined && err.statusCode < 500 ? new InsightsError('INVALID_ARGUMENT', err.message) : err;
    return sendJsonError(reply, e);
  });
  app.setNotFoundHandler((req, reply) =>
    sendJsonError(reply, new InsightsError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );

  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/healthz', async (_req, reply) => reply.headers(COMMON_HEADERS).send({ status: 'ok' }));
  app.get('/assets/*', async (req, reply) => {
    const a = assets.get(req.url.split('?')[0] ?? '');
    if (a === undefined) return sendJsonError(reply, new InsightsError('NOT_FOUND', 'no such asset'));
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    // Sandboxed frames load these scripts from an opaque origin, hence cross-origin readable.
    return reply
      .headers({
        'x-content-type-options': 'nosniff',
        etag: a.etag,
        'cache-control': 'no-cache',
        'cross-origin-resource-policy': 'cross-origin',
      })
      .type(a.type)
      .send(a.body);
  });
  registerAuthRoutes(app, ctx);
  registerPageRoutes(app, ctx);
  registerApiRoutes(app, ctx);
  registerFrameRoutes(app, ctx);

  const refresher =
    config.mesh.nodes.length === 0
      ? undefined
      : setInterval(() => void admin.refresh().catch(() => {}), DIRECT_REFRESH_MS).unref();
  const address = await app.listen({ host: config.host, port: config.port });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      clearInterval(refresher);
      // Event streams (live lists, runs) hold connections open: end them so close does not wait.
      app.server.closeAllConnections();
      await app.close();
      auth.close();
      await ctx.audit.close();
      if (options.mesh === undefined) await admin.close();
    })());
  return { url: address, mesh: admin, close, [Symbol.asyncDispose]: close };
}
