import type { StartNodeOptions } from '@insights/node';
import type { LogRecord } from '@insights/runtime';

type SpanExporter = NonNullable<StartNodeOptions['spanExporter']>;
type Span = Parameters<SpanExporter['export']>[0][number];

/** OpenTelemetry's ERROR status code (SpanStatusCode.ERROR), without importing the API for one number. */
const STATUS_ERROR = 2;

/**
 * What `insights dev` shows while you work: each call as it ends (from the node's own SERVER
 * spans, so nothing in the call path changes), and every warning and error the node logs (a
 * failing event handler, a job, a module that did not load).
 */
export class DevPrinter {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  readonly exporter: SpanExporter = {
    export: (spans, done) => {
      for (const s of spans) this.#span(s);
      done({ code: 0 });
    },
    shutdown: async () => {},
  };

  readonly log = (r: LogRecord): void => {
    if (r.level !== 'warn' && r.level !== 'error') return;
    const { level, time: _t, msg, node: _n, ...fields } = r;
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    this.write(`${level === 'error' ? 'ERROR' : 'warn '} ${msg}${extra ? `  ${extra}` : ''}`);
  };

  info(message: string): void {
    this.write(`dev   ${message}`);
  }

  #span(s: Span): void {
    const kind = s.attributes['insights.kind'];
    const analytic = s.attributes['insights.analytic'];
    if (typeof kind !== 'string' || typeof analytic !== 'string') return;
    const ms = (s.duration[0] * 1e3 + s.duration[1] / 1e6).toFixed(1);
    const failed = s.status.code === STATUS_ERROR;
    const code = s.attributes['insights.error.code'];
    this.write(
      `${failed ? 'fail ' : 'call '} ${kind} ${analytic}  ${ms} ms${failed ? `  ${typeof code === 'string' ? `${code}: ` : ''}${s.status.message ?? ''}` : ''}`,
    );
  }
}
