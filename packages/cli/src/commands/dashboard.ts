import {
  DEFAULT_EMBED_TTL_SECONDS,
  hashPassword,
  loadDashboardConfigFile,
  mintEmbedUrl,
  parseDashboardConfig,
  startDashboard,
  type DashboardConfig,
  type DashboardConfigInput,
} from '@insights/dashboard';
import { InsightsError } from '@insights/sdk';
import { natsWithCredentials } from '../nats-credentials.ts';

export interface DashboardOptions {
  config?: string;
  nats?: string;
  node?: string[];
  key?: string;
  host?: string;
  port?: string;
}

/** The configuration from `--config`, with flags on top; without a file, one allow-all role for everyone. */
function configFrom(opts: DashboardOptions): DashboardConfig {
  const nodes = (opts.node ?? [])
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  const nats = opts.nats ?? (opts.config === undefined && nodes.length === 0 ? process.env.NATS_URL : undefined);
  const flags: Partial<DashboardConfigInput> = {
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: Number(opts.port) }),
    ...(opts.key === undefined ? {} : { signingKey: opts.key }),
  };
  const mesh =
    nats !== undefined || nodes.length > 0
      ? { mesh: { ...(nats === undefined ? {} : { nats: natsWithCredentials(nats) }), nodes } }
      : {};
  if (opts.config !== undefined) {
    const file = loadDashboardConfigFile(opts.config);
    return parseDashboardConfig({ ...stripDerived(file), ...flags, ...mesh }, file.baseDir);
  }
  if (Object.keys(mesh).length === 0)
    throw new InsightsError(
      'INVALID_ARGUMENT',
      'no mesh: pass --config dashboard.json, --nats nats://host:port, --node host:port, or set NATS_URL',
      {
        parameter: 'nats',
      },
    );
  return parseDashboardConfig({ ...flags, ...mesh });
}

function stripDerived(c: DashboardConfig): DashboardConfigInput {
  const { signingKeyPem, baseDir: _b, ...rest } = c;
  return { ...rest, ...(signingKeyPem === undefined ? {} : { signingKey: signingKeyPem }) };
}

/** `insights dashboard`: serves the dashboard; prints one JSON line with its URL when ready. */
export async function runDashboard(opts: DashboardOptions): Promise<void> {
  const config = configFrom(opts);
  const dashboard = await startDashboard(config);
  process.stdout.write(`${JSON.stringify({ event: 'ready', url: dashboard.url })}\n`);
  process.stderr.write(
    `insights dashboard: open ${dashboard.url}/ (auth: ${config.auth.kind}; roles: ${Object.keys(config.roles).join(', ')})\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    dashboard.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** `insights dashboard hash-password`: reads a password on stdin, prints its hash for the users file. */
export async function runHashPassword(): Promise<void> {
  if (process.stdin.isTTY) process.stderr.write('password (then Enter): ');
  let input = '';
  for await (const chunk of process.stdin) {
    input += String(chunk);
    if (input.includes('\n')) break;
  }
  const line = input.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new InsightsError('INVALID_ARGUMENT', 'no password on standard input', { parameter: 'password' });
  process.stdout.write(`${await hashPassword(line)}\n`);
}

export interface EmbedOptions {
  config?: string;
  view: string;
  args?: string;
  user?: string;
  role?: string;
  context?: string;
  ttl?: string;
}

/** `insights dashboard embed`: prints a signed, expiring URL of one view with fixed arguments. */
export async function runEmbed(opts: EmbedOptions): Promise<void> {
  const json = (flag: string, v: string | undefined): Record<string, unknown> => {
    try {
      const o = JSON.parse(v ?? '{}') as unknown;
      if (typeof o === 'object' && o !== null && !Array.isArray(o)) return o as Record<string, unknown>;
    } catch {
      // fall through to the error
    }
    throw new InsightsError('INVALID_ARGUMENT', `--${flag} must be a JSON object, e.g. '{"course":"C1"}'`, { parameter: flag });
  };
  if (opts.config === undefined)
    throw new InsightsError(
      'INVALID_ARGUMENT',
      'give the dashboard configuration: insights dashboard --config <file> embed ...',
      { parameter: 'config' },
    );
  const url = mintEmbedUrl(loadDashboardConfigFile(opts.config), {
    view: opts.view,
    args: json('args', opts.args),
    ...(opts.user === undefined ? {} : { user: opts.user }),
    ...(opts.role === undefined ? {} : { role: opts.role }),
    ...(opts.context === undefined ? {} : { context: json('context', opts.context) as Record<string, string> }),
    ttlSeconds: Number(opts.ttl ?? DEFAULT_EMBED_TTL_SECONDS),
  });
  process.stdout.write(`${url}\n`);
}
