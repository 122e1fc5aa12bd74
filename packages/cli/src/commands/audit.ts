import { natsWithCredentials } from '../nats-credentials.ts';
import { globToRegExp } from '@insights/policy';
import { connectNatsWithRetry, readAuditRecords, type AuditRecord } from '@insights/registry';
import { InsightsError } from '@insights/sdk';
import { formatTable } from '../output.ts';
import { auditTree, indented, type TreeRow } from './audit-tree.ts';

export interface AuditOptions {
  nats?: string;
  stream?: string;
  user?: string;
  learner?: string;
  analytic?: string;
  trace?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

/**
 * `insights audit`: who read what, when, through what. Reads the audit stream and filters by
 * user (a capability subject or id), a learner id appearing in the arguments, analytic (glob),
 * call tree (trace id, across nodes: printed as a tree, each call under the one it is nested in)
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
  const filter = {
    user: opts.user,
    learner: opts.learner,
    analytic: opts.analytic === undefined ? undefined : globToRegExp(opts.analytic),
    trace: opts.trace,
    since,
    until,
  };
  const nc = await connectNatsWithRetry(natsWithCredentials(url), { maxDelayMs: 1000, signal: AbortSignal.timeout(10_000) });
  let found: AuditRecord[] | undefined;
  try {
    found = await readAuditRecords(nc, filter, opts.stream === undefined ? {} : { stream: opts.stream });
  } finally {
    await nc.drain();
  }
  if (found === undefined)
    throw new InsightsError(
      'NOT_FOUND',
      `no audit stream ${opts.stream ?? 'INSIGHTS_AUDIT'} (do the nodes have NATS and audit.enabled?)`,
      {
        parameter: 'stream',
      },
    );
  const rows: readonly TreeRow[] = opts.trace === undefined ? found.map((record) => ({ record, depth: 0 })) : auditTree(found);
  if (opts.json === true) {
    for (const { record } of rows) process.stdout.write(`${JSON.stringify(record)}\n`);
    return;
  }
  process.stdout.write(
    `${formatTable(
      ['time', 'node', 'analytic', 'who', 'outcome', 'bytes', 'args', 'id', 'parent'],
      rows.map((row) => [
        row.record.time,
        row.record.node,
        indented(row),
        row.record.who ?? '',
        row.record.outcome,
        row.record.resultBytes,
        JSON.stringify(row.record.args),
        row.record.id,
        row.record.parent ?? '',
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
