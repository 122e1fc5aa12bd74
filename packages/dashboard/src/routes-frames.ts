import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, InsightsError, isInsightsError } from '@insights/sdk';
import { principalOf, sendJsonError, type DashboardContext } from './context.ts';
import { toCsv } from '@insights/wire';
import { frameCsp, frameDocument, frameError } from './frame.ts';
import { principalKey } from './principal.ts';
import { tableOf } from './results.ts';
import { callMesh, downloadName, publicError } from './run.ts';

const FRAME_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'private, no-store',
} as const;

function fileName(analytic: string, ext: string): string {
  return `${downloadName(analytic)}.${ext}`;
}

/**
 * What goes into iframes and downloads: stored results (owner-checked), embed URLs (their own
 * grant, no session), and the relay of nodes' signed file URLs.
 */
export function registerFrameRoutes(app: FastifyInstance, ctx: DashboardContext): void {
  const ownResult = (req: FastifyRequest<{ Params: { id: string } }>) => {
    const r = ctx.results.get(req.params.id, principalKey(principalOf(ctx, req)));
    if (r === undefined) throw new InsightsError('NOT_FOUND', 'this result has expired or is not yours; run the analytic again');
    return r;
  };

  app.get('/result/:id/frame', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    try {
      const r = ownResult(req);
      if (r.outcome.type === 'json') throw new InsightsError('NOT_FOUND', 'a query result has no frame');
      return sendFrame(reply, frameDocument(r.outcome, r.analytic), r.outcome.type === 'vega-lite', "'self'");
    } catch (e) {
      return sendFrame(reply, frameError('Result', publicError(e).message), false, "'self'", statusOf(e));
    }
  });

  app.get('/result/:id/csv', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    try {
      const r = ownResult(req);
      const t = tableOf(r.outcome);
      if (t === undefined) throw new InsightsError('FAILED_PRECONDITION', 'this result is not a table; download it as JSON');
      return reply
        .headers({ ...FRAME_HEADERS, 'content-disposition': `attachment; filename="${fileName(r.analytic, 'csv')}"` })
        .type('text/csv; charset=utf-8')
        .send(toCsv(t));
    } catch (e) {
      return sendJsonError(reply, e);
    }
  });

  app.get('/result/:id/json', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    try {
      const r = ownResult(req);
      const value = r.outcome.type === 'json' ? r.outcome.value : r.outcome;
      return reply
        .headers({ ...FRAME_HEADERS, 'content-disposition': `attachment; filename="${fileName(r.analytic, 'json')}"` })
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(value, null, 2));
    } catch (e) {
      return sendJsonError(reply, e);
    }
  });

  /** An embed URL: the view, computed now with the grant's fixed arguments, framable by the LMS. */
  app.get('/embed/:token', async (req: FastifyRequest<{ Params: { token: string } }>, reply) => {
    const ancestors = ["'self'", ...ctx.config.embed.frameAncestors].join(' ');
    try {
      if (ctx.embeds === undefined) throw new InsightsError('NOT_FOUND', 'this dashboard has no embed URLs');
      const grant = ctx.embeds.verify(req.params.token);
      // Checked on every use: a removed or changed user's links stop working.
      ctx.auth.checkEmbed(grant.principal);
      const mesh = ctx.roles.embedMeshFor(grant.principal, grant.analytic);
      const controller = new AbortController();
      reply.raw.on('close', () => controller.abort());
      let outcome = await callMesh(
        mesh,
        { kind: 'view', name: grant.analytic, args: { ...grant.args }, timeoutMs: ctx.config.callTimeoutMs },
        controller.signal,
      );
      if (outcome.type === 'json') throw new InsightsError('INTERNAL', 'the view returned no view');
      if (outcome.type === 'html') {
        await ctx.nodeFiles.refresh(await ctx.admin.describe());
        outcome = { type: 'html', html: ctx.nodeFiles.rewrite(outcome.html) };
      }
      return sendFrame(reply, frameDocument(outcome, grant.analytic), outcome.type === 'vega-lite', ancestors);
    } catch (e) {
      return sendFrame(reply, frameError('Embedded view', publicError(e).message), false, ancestors, statusOf(e));
    }
  });

  app.get('/node-files/:node/*', async (req: FastifyRequest<{ Params: { node: string } }>, reply) => {
    try {
      // Relay the raw path and query (the signature covers them); refuse anything outside /files/.
      const prefix = `/node-files/${encodeURIComponent(req.params.node)}/`;
      const raw = req.url.startsWith(prefix) ? req.url.slice(prefix.length) : undefined;
      const target = raw === undefined ? undefined : ctx.nodeFiles.target(req.params.node, raw);
      if (target === undefined || !new URL(target).pathname.startsWith('/files/'))
        throw new InsightsError('NOT_FOUND', 'no such node file');
      const res = await fetch(target, { signal: AbortSignal.timeout(15_000), redirect: 'error' });
      return reply
        .code(res.status)
        .headers({ ...FRAME_HEADERS, 'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'" })
        .type(res.headers.get('content-type') ?? 'application/octet-stream')
        .send(Buffer.from(await res.arrayBuffer()));
    } catch (e) {
      return sendJsonError(
        reply,
        isInsightsError(e) ? e : new InsightsError('UNAVAILABLE', 'the node holding this file did not answer'),
      );
    }
  });
}

function statusOf(e: unknown): number {
  return isInsightsError(e) ? ERROR_CODES[e.code].http : 500;
}

function sendFrame(reply: FastifyReply, html: string, scripts: boolean, frameAncestors: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .headers({ ...FRAME_HEADERS, 'content-security-policy': frameCsp(scripts, frameAncestors) })
    .type('text/html; charset=utf-8')
    .send(html);
}
