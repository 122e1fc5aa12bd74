import type { AuditRecord } from '@insights/node';
import { globToRegExp } from '@insights/policy';
import { connectNatsWithRetry } from '@insights/registry';
import { InsightsError } from '@insights/sdk';
import { formatTable } from '../output.ts';

export interface AuditOptions {
  nats?: string;
  stream?: string;
  user?: string;
  learner?: string;
  analytic?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

/**
 * `insights audit`: who read what, when, through what. Reads the audit stream and filters by
 * user (a capability subject or id), a learner id appearing in the arguments, analytic (glob)
 * and time. Records never hold results.
 */
export async function runAudit(opts: AuditOptions): Promise<void> {
  const url = opts.nats ?? process.env.NATS_URL;
  if (url === undefined || url === '')
    throw new InsightsError('INVALID_ARGUMENT', 'the audit trail lives in NATS: pass --nats nats://host:port or set NATS_URL', {
      parameter: 'nats',
    });
  const since = time(opts.since, 'since');
  const until = time(opts.until, 'until');
  const analytic = opts.analytic === undefined ? undefined : globToRegExp(opts.analytic);
  const keep = (r: AuditRecord) =>
    (opts.user === undefined || whoMatches(r.who, opts.user)) &&
    (opts.learner === undefined || mentions(r.args, opts.learner)) &&
    (analytic === undefined || analytic.test(r.analytic)) &&
    (since === undefined || Date.parse(r.time) >= since) &&
    (until === undefined || Date.parse(r.time) <= until);
  const nc = await connectNatsWithRetry({ servers: url }, { maxDelayMs: 1000, signal: AbortSignal.timeout(10_000) });
  const found: AuditRecord[] = [];
  try {
    const jsm = await nc.jetstreamManager();
    const stream = opts.stream ?? 'INSIGHTS_AUDIT';
    const info = await jsm.streams.info(stream).catch(() => {
      throw new InsightsError('NOT_FOUND', `no audit stream ${stream} (do the nodes have audit.enabled and NATS?)`, {
        parameter: 'stream',
      });
    });
    let seq = info.state.first_seq;
    for (; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined); // deleted by retention meanwhile
      if (m === undefined) continue;
      const r = m.json<AuditRecord>();
      if (keep(r)) found.push(r);
    }
  } finally {
    await nc.drain();
  }
  if (opts.json === true) {
    for (const r of found) process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  process.stdout.write(
    `${formatTable(
      ['time', 'node', 'analytic', 'who', 'outcome', 'bytes', 'args', 'id', 'parent'],
      found.map((r) => [
        r.time,
        r.node,
        r.analytic,
        r.who ?? '',
        r.outcome,
        r.resultBytes,
        JSON.stringify(r.args),
        r.id,
        r.parent ?? '',
      ]),
    )}\n`,
  );
}

function time(v: string | undefined, parameter: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new InsightsError('INVALID_ARGUMENT', `--${parameter} must be a date and time, e.g. 2026-12-06T09:00:00Z`, {
      parameter,
    });
  return t;
}

/** `who` is `<subject>#<id>[ via ...]`: a user matches by subject or by capability id. */
function whoMatches(who: string | undefined, user: string): boolean {
  return (who ?? '').split(/ via | within /).some((part) => {
    const [subject, id] = part.split('#');
    return subject === user || id === user;
  });
}

/** Whether a value appears anywhere in the arguments (learner ids are strings or numbers). */
function mentions(v: unknown, learner: string): boolean {
  if (typeof v === 'string' || typeof v === 'number') return String(v) === learner;
  if (Array.isArray(v)) return v.some((x) => mentions(x, learner));
  if (typeof v === 'object' && v !== null) return Object.values(v).some((x) => mentions(x, learner));
  return false;
}
