import { connect } from '@insights/client';
import { formatTable } from '../output.ts';
import { meshOptions, type MeshFlags } from '../nodes-option.ts';

/** `insights ls`: every node and analytic of the mesh, as a table or JSON. */
export async function runLs(opts: MeshFlags & { json?: boolean }): Promise<void> {
  const mesh = await connect(meshOptions(opts));
  try {
    const d = await mesh.describe();
    if (opts.json) return void process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
    process.stdout.write(
      `${formatTable(
        ['NODE', 'ADDRESS', 'LABELS', 'STATE', 'MODULES'],
        d.nodes.map((n) => [
          n.id,
          n.address,
          n.labels.join(','),
          n.state,
          n.modules.map((m) => `${m.name}${m.state === 'ready' ? '' : `(${m.state})`}`).join(' '),
        ]),
      )}\n\n`,
    );
    const rows = [...d.analytics]
      .sort((a, b) => a.module.localeCompare(b.module) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
      .map((a) => {
        const props = (a.params as { properties?: Record<string, unknown>; required?: string[] }).properties ?? {};
        const req = new Set((a.params as { required?: string[] }).required ?? []);
        const params = Object.keys(props)
          .map((p) => (req.has(p) ? p : `[${p}]`))
          .join(' ');
        return [`${a.kind}`, `${a.module}.${a.name}`, params, a.nodes.join(','), a.description];
      });
    process.stdout.write(`${formatTable(['KIND', 'ANALYTIC', 'PARAMETERS', 'NODES', 'DESCRIPTION'], rows)}\n`);
  } finally {
    await mesh.close();
  }
}
