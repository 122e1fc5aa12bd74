import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ERROR_CODES, InsightsError, type ViewResult } from '@insights/sdk';
import { coerceStringArgs, toCsv, toInsightsError, type CallOutcome, type WireDescribeResponse } from '@insights/wire';
import type { UrlSigner } from '@insights/runtime';
import { recordsToTable } from './csv.ts';
import type { Dispatcher } from '@insights/runtime';
import type { Authorizer } from './authorizer.ts';
import type { EventSystem } from './events/event-system.ts';
import { parseEventsBody } from './events/ingest-body.ts';
import type { InputLimits } from './config-limits.ts';
import { checkJsonLimits, describeJsonBreach } from '@insights/wire';
import { checkIngestToken } from './ingest-auth.ts';
import { callDeadline } from './call-decoding.ts';
import { ConnectionGate, type ConnectionLimit } from './connection-gate.ts';
import type { Socket } from 'node:net';
import { escapeHtml, VIEW_SECURITY_HEADERS } from './html.ts';
import { errorCode, traced, type CallObserver } from './call-observer.ts';
import type { Readiness } from './readiness.ts';
import { clientVerified, httpsOptions, type TlsMaterial } from './tls.ts';
import { TRACEPARENT } from './tracing.ts';
import type { LogLevel } from '@insights/runtime';

import { renderNodePage } from './page.ts';

export interface HttpServerDeps extends CallObserver {
  readonly events: EventSystem;
  readonly ingestTokens: readonly string[];
  readonly dispatcher: Dispatcher;
  readonly authorizer: Authorizer;
  readonly describe: () => WireDescribeResponse;
  readonly signer: UrlSigner;
  readonly maxRequestBytes: number;
  readonly limits: InputLimits;
  readonly readiness: () => Readiness;
  /** Bearer tokens of the admin endpoints (none: they are off). */
  readonly adminTokens: readonly string[];
  /** Bearer tokens that may scrape /metrics (none: open, or off where capabilities are required). */
  readonly metricsTokens: readonly string[];
  readonly capabilitiesRequired: boolean;
  readonly setLogLevel: (level: LogLevel) => void;
  /** HTTPS with the node's certificate; with requireClientCert, every path but the probes needs a verified client certificate. */
  readonly tls?: TlsMaterial | undefined;
}

/** Reachable without a client certificate under mutual TLS: they reveal nothing but up/ready. */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);
const LOG_LEVELS_ACCEPTED = new Set(['debug', 'info', 'warn', 'error']);

type Params = { name: string };
type Query = Record<string, string | string[] | undefined>;

/**
 * HTTP face of the node: `/query/<name>` and `/view/<name>` (GET with query-string arguments,
 * POST with a JSON object), `/schema`, signed `/files/...`, `/healthz` and a page listing the
 * node's analytics with a form each. Errors are JSON `{ error: { code, message, parameter } }`
 * with the HTTP status from the one mapping table in @insights/sdk.
 */
export async function startHttpServer(
  deps: HttpServerDeps,
  host: string,
  port: number,
): Promise<{ app: FastifyInstance; address: string }> {
  const app = (
    deps.tls === undefined
      ? Fastify({ bodyLimit: deps.maxRequestBytes, logger: false })
      : Fastify({ bodyLimit: deps.maxRequestBytes, logger: false, https: httpsOptions(deps.tls) })
  ) as FastifyInstance;
  gateConnections(app, deps);
  if (deps.tls?.requireClientCert === true)
    app.addHook('onRequest', async (req) => {
      if (!PROBE_PATHS.has(req.url.split('?')[0] ?? '') && !clientVerified(req.raw.socket))
        throw new InsightsError(
          'UNAUTHENTICATED',
          'this node requires a client certificate signed by its authority (mutual TLS)',
        );
    });

  // JSON bodies are scanned for depth before Fastify's own parser (which keeps its prototype-poisoning guard) builds them.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const breach = checkJsonLimits(body as string, { maxBytes: Number.MAX_SAFE_INTEGER, maxDepth: deps.limits.maxJsonDepth });
    if (breach === undefined) return parseJson(req, body as string, done);
    deps.metrics.refused('http', 'maxJsonDepth');
    done(
      new InsightsError('INVALID_ARGUMENT', describeJsonBreach('arguments', breach, 'limits.maxJsonDepth'), {
        parameter: '(body)',
      }),
      undefined,
    );
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => {
    sendError(reply, fastifyToInsights(err, deps.maxRequestBytes));
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new InsightsError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; see / or /schema`)),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = deps.readiness();
    return reply
      .code(r.ready ? 200 : 503)
      .send({ status: r.ready ? 'ready' : 'not ready', checks: r.checks, sandbox: r.sandbox });
  });
  app.get('/metrics', async (req, reply) => {
    if (deps.metricsTokens.length > 0 || deps.capabilitiesRequired)
      checkBearerToken(deps.metricsTokens, bearer(req), 'metrics.tokens', 'metrics');
    return reply.type(deps.metrics.contentType).send(await deps.metrics.scrape());
  });
  app.put('/admin/log-level', async (req: FastifyRequest<{ Body: unknown }>) => {
    checkAdminToken(deps.adminTokens, bearer(req));
    const level = (req.body as { level?: unknown } | undefined)?.level;
    if (typeof level !== 'string' || !LOG_LEVELS_ACCEPTED.has(level))
      throw new InsightsError('INVALID_ARGUMENT', 'level must be one of debug, info, warn, error', { parameter: 'level' });
    deps.setLogLevel(level as LogLevel);
    return { level };
  });
  app.get('/schema', async (req) => deps.authorizer.filterDescribe(deps.describe(), bearer(req)));
  // The page lists what the caller's capability allows, like /schema (nothing without one where required).
  app.get('/', async (req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .send(renderNodePage(deps.authorizer.filterDescribe(deps.describe(), bearer(req)))),
  );

  for (const kind of ['query', 'view'] as const) {
    const handle = async (req: FastifyRequest<{ Params: Params; Querystring: Query }>, reply: FastifyReply) => {
      const { name } = req.params;
      const startedAt = performance.now();
      const traceparent = req.headers[TRACEPARENT];
      let outcome: CallOutcome;
      try {
        outcome = await traced(deps, kind, name, typeof traceparent === 'string' ? traceparent : undefined, () => {
          const given =
            req.method === 'POST'
              ? postArgs(req.body)
              : coerceStringArgs(req.query, deps.dispatcher.analytic(kind, name).analytic.paramsSchema);
          const { args, authority } = deps.authorizer.authorize(kind, name, given, bearer(req));
          const controller = new AbortController();
          // The response socket closing before we answered means the caller gave up.
          reply.raw.on('close', () => {
            if (!reply.raw.writableFinished) controller.abort();
          });
          const timeout = Number(firstValue(req.query._timeout));
          return deps.dispatcher.call({
            kind,
            name,
            args,
            authority,
            deadline: callDeadline(timeout, deps.limits.maxDeadlineMs, '_timeout'),
            signal: controller.signal,
            traceparent: typeof traceparent === 'string' ? traceparent : undefined,
          });
        });
      } catch (e) {
        deps.metrics.observeCall(kind, name, startedAt, errorCode(e));
        throw e;
      }
      deps.metrics.observeCall(kind, name, startedAt, 'OK');
      return sendOutcome(reply, outcome, firstValue(req.query._format));
    };
    app.get(`/${kind}/:name`, handle);
    app.post(`/${kind}/:name`, handle);
  }

  // Event properties: POST /property/<name> with {"event": ...}, a platform event as logged or an envelope.
  app.post('/property/:name', async (req: FastifyRequest<{ Params: Params; Querystring: Query }>, reply) => {
    const { name } = req.params;
    const { args } = deps.authorizer.authorize('event-property', name, postArgs(req.body), bearer(req));
    return sendOutcome(reply, await deps.dispatcher.call({ kind: 'event-property', name, args }), undefined);
  });

  // Events: any body shape the prototype accepted; ?wait=handlers for hard realtime.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post('/events', async (req: FastifyRequest<{ Querystring: Query }>) => {
      checkIngestToken(deps.ingestTokens, bearer(req));
      const { events, bad } = parseEventsBody(String(req.body ?? ''), deps.limits);
      const timeout = Number(firstValue(req.query.timeout));
      const parent = req.headers[TRACEPARENT];
      const report = await traced(deps, 'ingest', 'events', typeof parent === 'string' ? parent : undefined, () =>
        deps.events.ingest(events, {
          waitForHandlers: firstValue(req.query.wait) === 'handlers',
          ...(timeout > 0 ? { timeoutMs: timeout } : {}),
        }),
      );
      return { ...report, rejected: [...bad, ...report.rejected] };
    });
  });

  app.get(
    '/files/:module/*',
    async (req: FastifyRequest<{ Params: { module: string; '*': string }; Querystring: Query }>, reply) => {
      const { module } = req.params;
      const name = req.params['*'];
      const exp = Number(firstValue(req.query.exp));
      const sig = firstValue(req.query.sig) ?? '';
      const verdict = Number.isFinite(exp) ? deps.signer.verify(module, name, exp, sig) : 'bad-signature';
      if (verdict !== 'ok')
        throw new InsightsError(
          'PERMISSION_DENIED',
          verdict === 'expired' ? 'this file link has expired' : 'invalid file link signature',
        );
      const host = deps.dispatcher.host(module);
      if (host === undefined) throw new InsightsError('NOT_FOUND', `no module ${module} on this node`);
      const data = await host.readFile(name);
      return reply.type(contentTypeFor(name)).headers(VIEW_SECURITY_HEADERS).send(Buffer.from(data));
    },
  );

  const address = await app.listen({ host, port });
  return { app, address: address.replace(/^https?:\/\//, '') };
}

/**
 * Connections per peer and in total (limits.maxConnections*): checked before the HTTP server reads
 * a byte. A refused plain-HTTP peer gets a 503 naming the limit; under TLS the socket is just closed.
 */
function gateConnections(app: FastifyInstance, deps: HttpServerDeps): void {
  const gate = new ConnectionGate(deps.limits);
  // Node's own cap, one above the gate's: a backstop should the gate ever miscount.
  app.server.maxConnections = deps.limits.maxConnections + 1;
  app.server.prependListener('connection', (socket: Socket) => {
    const refused = gate.admit(socket);
    if (refused === undefined) return;
    deps.metrics.refused('http-connection', refused);
    if (deps.tls === undefined) socket.write(connectionRefusal(refused, deps.limits[refused]));
    socket.destroy();
  });
}

function connectionRefusal(limit: ConnectionLimit, max: number): string {
  const body = JSON.stringify({
    error: new InsightsError('UNAVAILABLE', `too many connections to this node (${max}, limits.${limit}); retry later`).toJSON(),
  });
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'";

/** Admin endpoints need one of the configured admin tokens; none configured turns them off. */
function checkAdminToken(tokens: readonly string[], given: string): void {
  checkBearerToken(tokens, given, 'admin.tokens', 'admin endpoints');
}

/** An operator route's own bearer token (never a capability); no tokens configured: the route is off. */
function checkBearerToken(tokens: readonly string[], given: string, setting: string, what: string): void {
  if (tokens.length === 0) throw new InsightsError('PERMISSION_DENIED', `${what} are off on this node (set ${setting})`);
  const g = Buffer.from(given);
  if (!tokens.some((t) => Buffer.byteLength(t) === g.length && timingSafeEqual(Buffer.from(t), g)))
    throw new InsightsError(
      given === '' ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED',
      `${what} need Authorization: Bearer <${setting.replace(/s$/, '').replace('.', ' ')}>`,
    );
}

/** The capability of an HTTP call: `Authorization: Bearer <capability>`. */
function bearer(req: FastifyRequest): string {
  const h = req.headers.authorization;
  return h !== undefined && h.startsWith('Bearer ') ? h.slice(7).trim() : '';
}

function postArgs(body: unknown): unknown {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InsightsError('INVALID_ARGUMENT', 'POST body must be a JSON object of named parameters', {
      parameter: '(body)',
    });
  return body;
}

function sendOutcome(reply: FastifyReply, outcome: CallOutcome, format: string | undefined): FastifyReply {
  if (outcome.type === 'json') {
    if (format === 'csv') {
      return reply.type('text/csv; charset=utf-8').send(toCsv(recordsToTable(outcome.value)));
    }
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(outcome.value) ?? 'null');
  }
  return sendView(reply, outcome, format);
}

function sendView(reply: FastifyReply, v: ViewResult, format: string | undefined): FastifyReply {
  reply.headers(VIEW_SECURITY_HEADERS);
  switch (v.type) {
    case 'html':
      return reply.type('text/html; charset=utf-8').send(v.html);
    case 'svg':
      return reply.type('image/svg+xml').send(v.svg);
    case 'png':
      return reply.type('image/png').send(Buffer.from(v.data));
    case 'table':
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(v));
      if (format === 'json') return reply.type('application/json').send({ columns: v.columns, rows: v.rows });
      return reply.type('text/html; charset=utf-8').send(tableHtml(v));
    case 'vega-lite':
      if (format === 'html')
        return reply.type('text/html; charset=utf-8').send(`<pre>${escapeHtml(JSON.stringify(v.spec, null, 2))}</pre>`);
      return reply.type('application/vnd.vegalite+json').send(JSON.stringify(v.spec));
  }
}

function tableHtml(t: Extract<ViewResult, { type: 'table' }>): string {
  const head = t.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c === null ? '' : String(c))}</td>`).join('')}</tr>`)
    .join('');
  return `<!doctype html><meta charset="utf-8"><style>table{border-collapse:collapse;font:14px system-ui}td,th{border:1px solid #999;padding:2px 8px;text-align:left}</style><table>${t.title === undefined ? '' : `<caption>${escapeHtml(t.title)}</caption>`}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function sendError(reply: FastifyReply, e: InsightsError): FastifyReply {
  return reply.code(ERROR_CODES[e.code].http).type('application/json; charset=utf-8').send({ error: e.toJSON() });
}

function fastifyToInsights(err: Error & { code?: string; statusCode?: number }, maxBytes: number): InsightsError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new InsightsError(
        'RESOURCE_EXHAUSTED',
        `request body is larger than this node accepts (${maxBytes} bytes, maxRequestBytes)`,
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InsightsError('INVALID_ARGUMENT', `request body is not valid JSON: ${err.message}`, { parameter: '(body)' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InsightsError('INVALID_ARGUMENT', 'send arguments as application/json', { parameter: 'content-type' });
    default:
      return toInsightsError(err);
  }
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const EXT_TYPES: Record<string, string> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  html: 'text/html; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
};

function contentTypeFor(name: string): string {
  return EXT_TYPES[name.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}
