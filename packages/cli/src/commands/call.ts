import { connect } from '@insights/client';
import { InsightsError, type ViewResult } from '@insights/sdk';
import { recordsToTable } from '@insights/node';
import { coerceStringArgs, toCsv } from '@insights/wire';
import { writeFile } from 'node:fs/promises';
import { meshOptions, type MeshFlags } from '../nodes-option.ts';

export interface CallCommandOptions extends MeshFlags {
  args?: string;
  timeout?: string;
  csv?: boolean;
  out?: string;
}

/**
 * `insights call query.name --param value ...`: one call, JSON on stdout (or CSV with --csv).
 * Flag values are typed by the analytic's parameter schema, so `--learners 20` is a number.
 */
export async function runCall(target: string, extra: string[], opts: CallCommandOptions): Promise<void> {
  const m = /^(query|view)\.(.+)$/.exec(target);
  if (m === null)
    throw new InsightsError('INVALID_ARGUMENT', `name the analytic as query.<name> or view.<name>, got "${target}"`, {
      parameter: 'analytic',
    });
  const kind = m[1] as 'query' | 'view';
  const name = m[2] as string;
  const mesh = await connect(meshOptions(opts));
  try {
    const described = (await mesh.describe()).analytics.find(
      (a) => a.kind === kind && (a.name === name || `${a.module}.${a.name}` === name || a.aliases.includes(name)),
    );
    const flagArgs = coerceStringArgs(parseFlags(extra), (described?.params ?? {}) as never);
    const jsonArgs = opts.args === undefined ? {} : (parseJsonArgs(opts.args) as Record<string, unknown>);
    const args = { ...jsonArgs, ...flagArgs };
    const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
    const section = kind === 'query' ? mesh.query : mesh.view;
    const result = await section[name]!(args, timeoutMs === undefined ? {} : { timeoutMs });
    await print(kind, result, opts);
  } finally {
    await mesh.close();
  }
}

async function print(kind: 'query' | 'view', result: unknown, opts: CallCommandOptions): Promise<void> {
  if (kind === 'query') {
    if (opts.csv) {
      return void process.stdout.write(toCsv(recordsToTable(result)));
    }
    return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
  const v = result as ViewResult;
  if (v.type === 'png') {
    if (opts.out === undefined)
      throw new InsightsError('INVALID_ARGUMENT', 'this view returns a PNG image: add --out file.png', { parameter: 'out' });
    await writeFile(opts.out, v.data);
    return void process.stderr.write(`wrote ${v.data.length} bytes to ${opts.out}\n`);
  }
  if (v.type === 'table' && opts.csv) return void process.stdout.write(toCsv(v));
  const text = v.type === 'html' ? v.html : v.type === 'svg' ? v.svg : JSON.stringify(v.type === 'table' ? v : v.spec, null, 2);
  if (opts.out !== undefined) await writeFile(opts.out, text);
  else process.stdout.write(`${text}\n`);
}

/** `--key value`, `--key=value` and bare `--flag` (true) into a string map. */
export function parseFlags(argv: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--'))
      throw new InsightsError('INVALID_ARGUMENT', `unexpected argument "${a}": pass parameters as --name value`, {
        parameter: a,
      });
    const eq = a.indexOf('=');
    let key: string;
    let value: string;
    if (eq > 0) {
      key = a.slice(2, eq);
      value = a.slice(eq + 1);
    } else {
      key = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) value = 'true';
      else {
        value = next;
        i++;
      }
    }
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function parseJsonArgs(text: string): unknown {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
  } catch {
    // fall through to the error below
  }
  throw new InsightsError('INVALID_ARGUMENT', '--args must be a JSON object, e.g. --args \'{"course":"x"}\'', {
    parameter: 'args',
  });
}
