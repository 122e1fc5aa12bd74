import type { AuditRecord } from '@insights/registry';
import { describe, expect, it } from 'vitest';
import { auditTree, indented } from './audit-tree.ts';

const rec = (id: string, analytic: string, second: number, parent?: string): AuditRecord => ({
  v: 1,
  time: `2026-12-07T10:00:${String(second).padStart(2, '0')}.000Z`,
  node: 'n',
  id,
  ...(parent === undefined ? {} : { parent }),
  kind: 'query',
  analytic,
  args: {},
  outcome: 'OK',
  resultBytes: 0,
  durationMs: 0,
});

describe('audit tree - records of one trace in call order', () => {
  it('nests each call under its parent, siblings by start time, whatever order the stream holds them in', () => {
    const rows = auditTree([
      rec('c2', 'b.second', 3, 'p'),
      rec('g', 'c.grandchild', 2, 'c1'),
      rec('c1', 'b.first', 1, 'p'),
      rec('p', 'a.view', 0),
    ]);
    expect(rows.map(indented)).toEqual(['a.view', '└ b.first', '  └ c.grandchild', '└ b.second']);
  });

  it('a record whose parent is missing, or links in a cycle, still shows, at the top', () => {
    const rows = auditTree([rec('x', 'x.orphan', 0, 'gone'), rec('y', 'y.loop', 1, 'z'), rec('z', 'z.loop', 2, 'y')]);
    expect(rows.map((r) => `${r.depth} ${r.record.id}`)).toEqual(['0 x', '0 y', '1 z']);
  });
});
