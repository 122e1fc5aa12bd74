import { globToRegExp } from '@insights/policy';
import { connectNatsWithRetry, readAuditRecords, type AuditFilter, type AuditRecord } from '@insights/registry';
import { InsightsError } from '@insights/sdk';
import type { DashboardConfig } from './config.ts';
import { escapeHtml } from './html.ts';
import type { Principal } from './principal.ts';

type Query = Record<string, string | string[] | undefined>;
type NatsConnection = Awaited<ReturnType<typeof connectNatsWithRetry>>;
/** The newest records shown on one page (the CLI has no limit). */
const PAGE_RECORDS = 500;

/**
 * The audit page (`/admin/audit`): the mesh's audit trail, filtered like `insights audit`, for
 * the roles the operator lists in `audit.roles`. It reads the stream over the dashboard's own
 * NATS connection (opened on first use); records never hold results.
 */
export class AuditReader {
  #nc: Promise<NatsConnection> | undefined;

  constructor(private readonly config: DashboardConfig) {}

  /** PERMISSION_DENIED unless the principal's role may read the audit. */
  check(who: Principal): void {
    if (!this.config.audit.roles.includes(who.role))
      throw new InsightsError(
        'PERMISSION_DENIED',
        `the audit trail is for the roles ${this.config.audit.roles.join(', ') || '(none configured: audit.roles)'}`,
      );
  }

  async records(q: Query): Promise<{ filter: Record<string, string>; records: AuditRecord[] | undefined }> {
    const nats = this.config.mesh.nats;
    if (nats === undefined)
      throw new InsightsError('FAILED_PRECONDITION', 'the audit trail lives in NATS: give the dashboard mesh.nats', {
        parameter: 'mesh.nats',
      });
    const text = (k: string) => {
      const v = q[k];
      const s = (Array.isArray(v) ? v[0] : v)?.trim();
      return s === undefined || s === '' ? undefined : s;
    };
    const shown: Record<string, string> = {};
    for (const k of ['user', 'learner', 'analytic', 'since', 'until']) {
      const v = text(k);
      if (v !== undefined) shown[k] = v;
    }
    const time = (k: 'since' | 'until') => {
      if (shown[k] === undefined) return undefined;
      const t = Date.parse(shown[k]);
      if (Number.isNaN(t))
        throw new InsightsError('INVALID_ARGUMENT', `${k} must be a date and time, e.g. 2026-12-06T09:00:00Z`, { parameter: k });
      return t;
    };
    const filter: AuditFilter = {
      user: shown.user,
      learner: shown.learner,
      analytic: shown.analytic === undefined ? undefined : globToRegExp(shown.analytic),
      since: time('since'),
      until: time('until'),
    };
    this.#nc ??= connectNatsWithRetry(typeof nats === 'string' ? { servers: nats } : nats, {
      maxDelayMs: 1000,
      signal: AbortSignal.timeout(10_000),
    });
    const nc = await this.#nc.catch((e: unknown) => {
      this.#nc = undefined;
      throw new InsightsError('UNAVAILABLE', `cannot reach NATS for the audit trail: ${(e as Error).message}`);
    });
    return {
      filter: shown,
      records: await readAuditRecords(nc, filter, { stream: this.config.audit.stream, limit: PAGE_RECORDS }),
    };
  }

  async close(): Promise<void> {
    const nc = await this.#nc?.catch(() => undefined);
    await nc?.drain().catch(() => undefined);
  }
}

/** The page's main part: the filter form and the records, newest first. */
export function auditMain(filter: Readonly<Record<string, string>>, records: readonly AuditRecord[] | undefined): string {
  const field = (name: string, label: string, placeholder: string) =>
    `<label>${label}<input name="${name}" value="${escapeHtml(filter[name] ?? '')}" placeholder="${escapeHtml(placeholder)}"></label>`;
  const form = `<form method="get" action="/admin/audit" class="audit-filter">
${field('user', 'User', 'subject or capability id')}
${field('learner', 'Learner id', 'appears in the arguments')}
${field('analytic', 'Analytic', 'e.g. examples.*')}
${field('since', 'Since', '2026-12-06T09:00:00Z')}
${field('until', 'Until', '')}
<button type="submit">Filter</button></form>`;
  if (records === undefined)
    return `<section><h1>Audit trail</h1>${form}<p>No audit stream yet: nodes write it once they run with NATS and <code>audit.enabled</code>.</p></section>`;
  const rows = [...records]
    .reverse()
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.time)}</td><td>${escapeHtml(r.node)}</td><td>${escapeHtml(r.analytic)}</td><td>${escapeHtml(r.who ?? '')}</td><td>${escapeHtml(r.outcome)}</td><td class="n">${r.resultBytes}</td><td><code>${escapeHtml(JSON.stringify(r.args))}</code></td><td>${escapeHtml(r.id)}</td><td>${escapeHtml(r.parent ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<section><h1>Audit trail</h1>${form}
<p>${records.length} record${records.length === 1 ? '' : 's'} (newest first; at most ${PAGE_RECORDS}). Results are never recorded.</p>
<table class="audit"><thead><tr><th>time</th><th>node</th><th>analytic</th><th>who</th><th>outcome</th><th>bytes</th><th>arguments</th><th>id</th><th>parent</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}
