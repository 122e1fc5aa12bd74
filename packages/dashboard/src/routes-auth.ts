import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseCookies, SESSION_COOKIE } from './auth.ts';
import type { DashboardContext } from './context.ts';
import { loginMain, renderPage } from './page.ts';
import { sendPage } from './routes-pages.ts';

/** Only local paths: a login link must not send people to another site afterwards. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

/** Login and logout for the users-file mode. The session cookie is HttpOnly and SameSite=Strict. */
export function registerAuthRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const cookie = (value: string, maxAge: number) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${ctx.config.secureCookies ? '; Secure' : ''}`;

  app.post('/login', async (req: FastifyRequest<{ Body: Record<string, string> | undefined }>, reply) => {
    if (!ctx.auth.usesLoginForm) return reply.redirect('/', 303);
    const body = req.body ?? {};
    const next = safeNext(body.next);
    const failed = (message: string, status: number) =>
      sendPage(
        reply,
        renderPage({ title: 'Log in', principal: undefined, canLogOut: false, main: loginMain(message, next) }),
        status,
      );
    let ok;
    try {
      ok = await ctx.auth.login(String(body.user ?? ''), String(body.password ?? ''));
    } catch (e) {
      return failed((e as Error).message, 429);
    }
    if (ok === undefined) return failed('Wrong user name or password.', 401);
    return reply.header('set-cookie', cookie(ok.sessionId, ctx.config.sessionTtlSeconds)).redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    ctx.auth.logout(parseCookies(req.headers.cookie));
    return reply.header('set-cookie', cookie('', 0)).redirect(ctx.auth.usesLoginForm ? '/login' : '/', 303);
  });
}
