/** Plain-text tables for terminals: columns padded to their widest cell. */
export function formatTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Prints an error the way every command does: one line, the code, and what to do. */
export function printError(e: unknown): void {
  const err = e as { code?: string; message?: string; parameter?: string; suggestions?: string[] };
  const code = err.code ? `${err.code}: ` : '';
  process.stderr.write(`insights: ${code}${err.message ?? String(e)}\n`);
}
