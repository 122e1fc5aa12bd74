import type { AnalyticDescription } from '@insights/client';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { buildCatalog, catalogHtml } from './catalog.ts';
import { parseDashboardConfig } from './config.ts';
import { toCsv } from '@insights/wire';
import { asTable } from './csv.ts';
import { formHtml } from './form.ts';
import { jsonForScript } from './html.ts';

function analytic(params: Record<string, unknown>, over: Partial<AnalyticDescription> = {}): AnalyticDescription {
  return { kind: 'view', module: 'm', name: 'v', aliases: [], description: '', params, idempotent: true, nodes: ['n1'], ...over };
}

describe('dashboard - forms from parameter schemas', () => {
  const schema = z.toJSONSchema(
    z.strictObject({
      course: z.string().meta({ 'x-choices-from': 'courses' }).describe('The course'),
      bins: z.number().int().min(1).default(10),
      level: z.enum(['low', 'high']).optional(),
      raw: z.boolean().default(true),
      tags: z.array(z.string()).optional(),
    }),
    { io: 'input' },
  ) as Record<string, unknown>;

  it('zod 4 keeps x-choices-from in the JSON Schema', () => {
    expect(schema).toMatchObject({
      properties: { course: { 'x-choices-from': 'courses', description: 'The course' } },
      required: ['course'],
    });
  });

  it('renders labels, required marks, defaults, selects from choices and enums, and deep-link values', () => {
    const html = formHtml({
      analytic: analytic(schema),
      values: { bins: '20', tags: '["a","b"]' },
      locks: {},
      choices: new Map([['course', { ok: true, choices: [{ value: 'C1', label: 'Circuits <1>' }] }]]),
      canEmbed: true,
    });
    expect(html).toContain('<label for="p-course">course <abbr title="required" class="req">*</abbr></label>');
    expect(html).toContain('<option value="">— choose —</option><option value="C1">Circuits &lt;1&gt;</option>');
    expect(html).toMatch(/<input type="number" id="p-bins"[^>]* step="1" min="1" value="20">/);
    expect(html).toContain('Default: 10.');
    expect(html).toContain('<option value="">— none —</option><option value="low">low</option>');
    expect(html).toMatch(/<input type="checkbox" id="p-raw"[^>]*checked>/);
    expect(html).toMatch(/id="p-tags"[^>]*value="a, b"/);
    expect(html).toContain('id="embed"');
  });

  it('falls back to a text field when choices cannot be loaded, and shows locked parameters', () => {
    const html = formHtml({
      analytic: analytic(schema),
      values: {},
      locks: { term: 'fall' },
      choices: new Map([['course', { ok: false, reason: 'PERMISSION_DENIED: no' }]]),
      canEmbed: false,
    });
    expect(html).toMatch(/<input type="text" id="p-course"/);
    expect(html).toContain('choices unavailable (PERMISSION_DENIED: no); type a value.');
    expect(html).toContain('Set by your role: <code>term</code> = <strong>fall</strong>');
    expect(html).not.toContain('id="embed"');
  });
});

describe('dashboard - catalog', () => {
  it('groups by module and node, and escapes what modules wrote', () => {
    const c = buildCatalog({
      nodes: [
        {
          id: 'lms',
          address: 'a:1',
          labels: ['lms'],
          state: 'serving',
          modules: [{ name: 'g', version: '1.0', state: 'ready', lastError: '', eventHandlers: [] }],
        },
        {
          id: 'wiki',
          address: 'b:1',
          labels: [],
          state: 'serving',
          modules: [
            { name: 'g', version: '1.0', state: 'ready', lastError: '', eventHandlers: [] },
            { name: 'hidden', version: '', state: 'ready', lastError: '', eventHandlers: [] },
          ],
        },
      ],
      analytics: [analytic({}, { module: 'g', name: 'h', kind: 'query', description: '<b>x</b>', nodes: ['lms', 'wiki'] })],
    });
    expect(c.modules).toEqual([expect.objectContaining({ name: 'g', version: '1.0', nodes: ['lms', 'wiki'] })]);
    expect(c.nodes.map((n) => [n.id, n.modules.map((m) => m.name)])).toEqual([
      ['lms', ['g']],
      ['wiki', ['g']],
    ]);
    const html = catalogHtml(c, 'query:g.h');
    expect(html).toContain('data-search="g.h  &lt;b&gt;x&lt;/b&gt; query"');
    expect(html).toContain('aria-current="page"');
    expect(html).not.toContain('hidden</h4>');
  });
});

describe('dashboard - config, CSV and script JSON', () => {
  it('names the key at fault', () => {
    expect(() => parseDashboardConfig({ mesh: {} })).toThrow(/dashboard config: mesh: give a NATS registry/);
    expect(() => parseDashboardConfig({ mesh: { nats: 'nats://x' }, auth: { kind: 'none', role: 'boss' } })).toThrow(
      /role "boss" is not in roles/,
    );
    expect(() => parseDashboardConfig({ mesh: { nats: 'nats://x' }, roles: { admin: { policy: { default: 'deny' } } } })).toThrow(
      /signingKey: roles that restrict/,
    );
  });

  it('writes RFC 4180 CSV, neutralising spreadsheet formulas', () => {
    expect(
      toCsv({
        columns: ['a', 'b'],
        rows: [
          ['x,y', 1],
          ['=SUM(A1)', null],
        ],
      }),
    ).toBe('a,b\r\n"x,y",1\r\n\'=SUM(A1),\r\n');
    expect(asTable([{ a: 1 }, { b: 2 }])).toEqual({
      columns: ['a', 'b'],
      rows: [
        [1, null],
        [null, 2],
      ],
    });
    expect(asTable({ a: 1 })).toBeUndefined();
  });

  it('keeps JSON inside a script element inert', () => {
    expect(jsonForScript({ t: '</script><script>alert(1)</script>' })).not.toContain('<');
  });
});
