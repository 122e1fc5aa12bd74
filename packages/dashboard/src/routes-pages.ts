import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isInsightsError } from '@insights/sdk';
import { analyticMain } from './analytic-page.ts';
import { auditMain } from './audit-page.ts';
import { buildCatalog, catalogHtml, findAnalytic } from './catalog.ts';
import { loadChoices } from './choices.ts';
import { COMMON_HEADERS, principalOf, type DashboardContext } from './context.ts';
import { loginMain, messageMain, PAGE_CSP, renderPage, welcomeMain } from './page.ts';
import type { Principal } from './principal.ts';
import type { ObjectSchema } from './schema.ts';

type Query = Record<string, string | string[] | undefined>;

function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .headers({ ...COMMON_HEADERS, 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store' })
    .type('text/html; charset=utf-8')
    .send(html);
}

/** The HTML pages: the list, an analytic (its URL is the deep link), and the error page. */
export function registerPageRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  /** Runs a page handler for a logged-in principal; sends people who are not to the login form. */
  const page =
    <P>(
      handler: (
        req: FastifyRequest<{ Params: P; Querystring: Query }>,
        reply: FastifyReply,
        who: Principal,
      ) => Promise<FastifyReply>,
    ) =>
    async (req: FastifyRequest<{ Params: P; Querystring: Query }>, reply: FastifyReply) => {
      let who: Principal;
      try {
        who = principalOf(ctx, req);
      } catch (e) {
        if (isInsightsError(e) && e.code === 'UNAUTHENTICATED' && ctx.auth.usesLoginForm)
          return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
        return sendPage(
          reply,
          renderPage({
            title: 'Not allowed',
            principal: undefined,
            canLogOut: false,
            main: messageMain('Not allowed', (e as Error).message),
          }),
          isInsightsError(e) ? ERROR_CODES[e.code].http : 500,
        );
      }
      return handler(req, reply, who);
    };

  app.get(
    '/',
    page(async (_req, reply, who) => {
      const catalog = buildCatalog(await ctx.roles.meshFor(who).describe());
      const count = catalog.modules.reduce((s, m) => s + m.analytics.length, 0);
      return sendPage(
        reply,
        renderPage({
          title: 'Analytics',
          principal: who,
          canLogOut: who.via === 'session',
          catalog: catalogHtml(catalog),
          main: welcomeMain(count),
        }),
      );
    }),
  );

  app.get(
    '/a/:kind/:name',
    page<{ kind: string; name: string }>(async (req, reply, who) => {
      const mesh = ctx.roles.meshFor(who);
      const description = await mesh.describe();
      const catalog = buildCatalog(description);
      const { kind, name } = req.params;
      const analytic = kind === 'query' || kind === 'view' ? findAnalytic(description, kind, name) : undefined;
      const common = { principal: who, canLogOut: who.via === 'session' };
      if (analytic === undefined)
        // The same answer whether it does not exist or the role may not use it: nothing leaks.
        return sendPage(
          reply,
          renderPage({
            ...common,
            title: 'Not available',
            catalog: catalogHtml(catalog),
            main: messageMain(
              'Not available',
              `There is no ${kind} “${name}” that you can use. It may not exist, its node may be down, or your role does not allow it.`,
            ),
          }),
          404,
        );
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.query)) {
        const s = Array.isArray(v) ? v[v.length - 1] : v;
        if (s !== undefined) values[k] = s;
      }
      const props = (analytic.params as ObjectSchema).properties ?? {};
      const choices = await loadChoices(mesh, description, analytic, props);
      const locks = ctx.roles.locks(who, analytic);
      const main = analyticMain({ analytic, values, locks, choices, canEmbed: ctx.embeds !== undefined });
      return sendPage(
        reply,
        renderPage({
          ...common,
          title: `${analytic.module}.${analytic.name}`,
          catalog: catalogHtml(catalog, `${analytic.kind}:${analytic.module}.${analytic.name}`),
          main,
        }),
      );
    }),
  );

  /** The audit trail, for the roles in audit.roles. */
  app.get(
    '/admin/audit',
    page(async (req, reply, who) => {
      const common = { principal: who, canLogOut: who.via === 'session' };
      try {
        ctx.audit.check(who);
        const { filter, records } = await ctx.audit.records(req.query);
        return sendPage(reply, renderPage({ ...common, title: 'Audit trail', main: auditMain(filter, records) }));
      } catch (e) {
        return sendPage(
          reply,
          renderPage({ ...common, title: 'Not allowed', main: messageMain('Audit trail', (e as Error).message) }),
          isInsightsError(e) ? ERROR_CODES[e.code].http : 500,
        );
      }
    }),
  );

  app.get('/login', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    if (!ctx.auth.usesLoginForm) return reply.redirect('/', 303);
    const next = typeof req.query.next === 'string' ? req.query.next : '/';
    return sendPage(
      reply,
      renderPage({ title: 'Log in', principal: undefined, canLogOut: false, main: loginMain(undefined, next) }),
    );
  });
}

export { sendPage };
