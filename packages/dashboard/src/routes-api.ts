import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InsightsError } from '@insights/sdk';
import { buildCatalog, catalogHtml, findAnalytic } from './catalog.ts';
import { COMMON_HEADERS, principalOf, sendJsonError, type DashboardContext } from './context.ts';
import { DEFAULT_EMBED_TTL_SECONDS } from './config.ts';
import { principalKey } from './principal.ts';
import { callFromQuery, runOverStream, type Query } from './run.ts';
import { openEventStream } from './sse.ts';

/** How often a live list compares the viewer's catalog with what it last sent, ms. */
const CATALOG_POLL_MS = 1000;

function kindOf(s: string): 'query' | 'view' {
  if (s === 'query' || s === 'view') return s;
  throw new InsightsError('INVALID_ARGUMENT', `kind must be query or view, not "${s}"`, { parameter: 'kind' });
}

/** JSON and event-stream endpoints the page's script uses; each acts through the viewer's proxy. */
export function registerApiRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const api =
    <P, B = unknown>(
      handler: (req: FastifyRequest<{ Params: P; Querystring: Query; Body: B }>, reply: FastifyReply) => Promise<unknown>,
    ) =>
    async (req: FastifyRequest<{ Params: P; Querystring: Query; Body: B }>, reply: FastifyReply) => {
      try {
        return await handler(req, reply);
      } catch (e) {
        if (reply.sent) return reply;
        return sendJsonError(reply, e);
      }
    };

  app.get(
    '/api/catalog',
    api(async (req, reply) => {
      const d = await ctx.roles.meshFor(principalOf(ctx, req)).describe();
      return reply.headers({ ...COMMON_HEADERS, 'cache-control': 'no-store' }).send({ ...buildCatalog(d) });
    }),
  );

  /** The sidebar, live: a `catalog` event with the list's HTML now and whenever it changes. */
  app.get(
    '/api/catalog/events',
    api(async (req, reply) => {
      const mesh = ctx.roles.meshFor(principalOf(ctx, req));
      const current = typeof req.query.current === 'string' ? req.query.current : undefined;
      const stream = openEventStream(reply);
      let last = '';
      const push = async () => {
        const html = catalogHtml(buildCatalog(await mesh.describe()), current);
        if (html !== last) stream.send('catalog', { html });
        last = html;
      };
      await push();
      const timer = setInterval(() => void push().catch(() => {}), CATALOG_POLL_MS);
      stream.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
      return reply;
    }),
  );

  app.get(
    '/api/run/:kind/:name',
    api<{ kind: string; name: string }>(async (req, reply) => {
      const who = principalOf(ctx, req);
      const mesh = ctx.roles.meshFor(who);
      const spec = callFromQuery(
        kindOf(req.params.kind),
        req.params.name,
        req.query,
        await mesh.describe(),
        ctx.config.callTimeoutMs,
      );
      const stream = openEventStream(reply);
      await runOverStream(stream, mesh, spec, principalKey(who), {
        results: ctx.results,
        nodeFiles: ctx.nodeFiles,
        adminDescription: () => ctx.admin.describe(),
      });
      return reply;
    }),
  );

  /** Mints an embed URL for a view the viewer may use, with the arguments fixed. */
  app.post(
    '/api/embed',
    api<unknown, { name?: unknown; args?: unknown; ttlSeconds?: unknown }>(async (req, reply) => {
      const who = principalOf(ctx, req);
      if (ctx.embeds === undefined)
        throw new InsightsError('FAILED_PRECONDITION', 'embed URLs need the mesh signing key in the dashboard configuration');
      const body = req.body ?? {};
      const mesh = ctx.roles.meshFor(who);
      const description = await mesh.describe();
      const view = findAnalytic(description, 'view', String(body.name ?? ''));
      if (view === undefined)
        throw new InsightsError('PERMISSION_DENIED', `there is no view “${String(body.name)}” that you can use`, {
          parameter: 'name',
        });
      const strings = (typeof body.args === 'object' && body.args !== null ? body.args : {}) as Query;
      const spec = callFromQuery('view', `${view.module}.${view.name}`, strings, description, ctx.config.callTimeoutMs);
      const ttl = body.ttlSeconds === undefined ? DEFAULT_EMBED_TTL_SECONDS : Number(body.ttlSeconds);
      if (!(ttl > 0 && ttl <= ctx.config.embed.maxTtlSeconds))
        throw new InsightsError('INVALID_ARGUMENT', `ttlSeconds must be between 1 and ${ctx.config.embed.maxTtlSeconds}`, {
          parameter: 'ttlSeconds',
        });
      const token = ctx.embeds.mint(spec.name, spec.args, who, ttl);
      const origin = ctx.config.publicUrl?.replace(/\/$/, '') ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`;
      return reply.headers(COMMON_HEADERS).send({
        url: `${origin}/embed/${token}`,
        expiresAt: new Date((Math.floor(Date.now() / 1000) + ttl) * 1000).toISOString(),
      });
    }),
  );
}
