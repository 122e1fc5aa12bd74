import type { AuditRecord } from '@insights/registry';

/** One record of a call tree and how deep it is nested (0: a call that entered the mesh). */
export interface TreeRow {
  readonly record: AuditRecord;
  readonly depth: number;
}

/**
 * The records of one call tree in tree order: each call followed by the calls nested in it (by
 * start time), across nodes. A record whose parent is not among them starts a tree of its own;
 * so does one caught in a cycle of links (a corrupt record must not hide the others).
 */
export function auditTree(records: readonly AuditRecord[]): TreeRow[] {
  const ids = new Set(records.map((r) => r.id));
  const children = new Map<string | undefined, AuditRecord[]>();
  for (const r of [...records].sort((a, b) => a.time.localeCompare(b.time))) {
    const parent = r.parent !== undefined && r.parent !== r.id && ids.has(r.parent) ? r.parent : undefined;
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [r]);
    else siblings.push(r);
  }
  const rows: TreeRow[] = [];
  const placed = new Set<AuditRecord>();
  const place = (r: AuditRecord, depth: number): void => {
    if (placed.has(r)) return;
    placed.add(r);
    rows.push({ record: r, depth });
    for (const child of children.get(r.id) ?? []) place(child, depth + 1);
  };
  for (const root of children.get(undefined) ?? []) place(root, 0);
  for (const r of records) place(r, 0);
  return rows;
}

/** The analytic column of a tree row: indented under its parent. */
export function indented(row: TreeRow): string {
  return row.depth === 0 ? row.record.analytic : `${'  '.repeat(row.depth - 1)}└ ${row.record.analytic}`;
}
