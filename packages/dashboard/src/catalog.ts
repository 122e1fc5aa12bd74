import type { AnalyticDescription, MeshDescription } from '@insights/client';
import { analyticPath, escapeHtml } from './html.ts';

export interface CatalogModule {
  readonly name: string;
  readonly version: string;
  readonly nodes: readonly string[];
  readonly analytics: readonly AnalyticDescription[];
}

export interface CatalogNode {
  readonly id: string;
  readonly labels: readonly string[];
  readonly state: string;
  /** Modules of this node the viewer can use, and those that failed to load (for operators). */
  readonly modules: readonly { name: string; state: string; lastError: string; analytics: readonly AnalyticDescription[] }[];
}

/** What one viewer can use, grouped by module and by node. */
export interface Catalog {
  readonly modules: readonly CatalogModule[];
  readonly nodes: readonly CatalogNode[];
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/**
 * Groups a (restricted) description. A module none of whose analytics the viewer may use is left
 * out entirely, so a role never learns the names of what it is denied.
 */
export function buildCatalog(d: MeshDescription): Catalog {
  const byModule = new Map<string, AnalyticDescription[]>();
  for (const a of d.analytics) byModule.set(a.module, [...(byModule.get(a.module) ?? []), a]);
  const version = (m: string) => d.nodes.flatMap((n) => n.modules).find((x) => x.name === m)?.version ?? '';
  const modules = [...byModule].map(([name, analytics]) => ({
    name,
    version: version(name),
    nodes: [...new Set(analytics.flatMap((a) => a.nodes))].sort(),
    analytics: [...analytics].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)),
  }));
  const nodes = d.nodes.map((n) => ({
    id: n.id,
    labels: n.labels,
    state: n.state,
    modules: n.modules
      .map((m) => ({ ...m, analytics: (byModule.get(m.name) ?? []).filter((a) => a.nodes.includes(n.id)) }))
      .filter((m) => m.analytics.length > 0)
      .sort(byName),
  }));
  return { modules: modules.sort(byName), nodes: [...nodes].sort((a, b) => a.id.localeCompare(b.id)) };
}

/** Finds `kind` `<module>.<name>` (or a unique bare name or alias) in a description. */
export function findAnalytic(d: MeshDescription, kind: 'query' | 'view', name: string): AnalyticDescription | undefined {
  const all = d.analytics.filter((a) => a.kind === kind);
  const exact = all.find((a) => `${a.module}.${a.name}` === name);
  if (exact !== undefined) return exact;
  const bare = all.filter((a) => a.name === name || a.aliases.includes(name));
  return bare.length === 1 ? bare[0] : undefined;
}

/**
 * The list in the sidebar, both groupings (the page shows one; a toggle switches). Every entry
 * carries `data-search` text so the search box filters without a round trip.
 */
export function catalogHtml(c: Catalog, current?: string): string {
  if (c.modules.length === 0)
    return '<p class="empty">No analytics available right now. Nodes appear here as they join the mesh.</p>';
  const item = (a: AnalyticDescription) => {
    const full = `${a.module}.${a.name}`;
    const here = `${a.kind}:${full}` === current;
    const search = `${full} ${a.aliases.join(' ')} ${a.description} ${a.kind}`.toLowerCase();
    return `<li data-search="${escapeHtml(search)}"><a href="${analyticPath(a.kind, full)}"${here ? ' aria-current="page"' : ''}><span class="kind kind-${a.kind}">${a.kind}</span> ${escapeHtml(a.name)}</a></li>`;
  };
  const byModule = c.modules
    .map(
      (m) => `<section class="group" aria-label="module ${escapeHtml(m.name)}">
<h3>${escapeHtml(m.name)}${m.version ? ` <small>${escapeHtml(m.version)}</small>` : ''}</h3>
<p class="on">on ${m.nodes.map((n) => `<span class="node">${escapeHtml(n)}</span>`).join(' ')}</p>
<ul>${m.analytics.map(item).join('')}</ul></section>`,
    )
    .join('\n');
  const byNode = c.nodes
    .filter((n) => n.modules.length > 0)
    .map(
      (n) => `<section class="group" aria-label="node ${escapeHtml(n.id)}">
<h3>${escapeHtml(n.id)} <small>${escapeHtml([n.state, ...n.labels].join(' · '))}</small></h3>
${n.modules.map((m) => `<h4>${escapeHtml(m.name)}</h4><ul>${m.analytics.map(item).join('')}</ul>`).join('')}</section>`,
    )
    .join('\n');
  const count = c.modules.reduce((s, m) => s + m.analytics.length, 0);
  const nodeCount = new Set(c.modules.flatMap((m) => m.nodes)).size;
  return `<p class="summary" id="catalog-summary">${count} analytics in ${c.modules.length} modules on ${nodeCount} node${nodeCount === 1 ? '' : 's'}</p>
<div class="by-module">${byModule}</div>
<div class="by-node" hidden>${byNode}</div>`;
}
