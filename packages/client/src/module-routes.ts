import { InsightsError, isInsightsError } from '@insights/sdk';
import type { NodeView } from '@insights/registry';
import type { BackendCallOptions } from './mesh.ts';
import type { NodeConnection } from './node-connection.ts';

/**
 * Which nodes host which module, for node-internal routes that concern a module rather than an
 * analytic (a node reading another module's data on its modules' behalf). A call goes to a
 * node hosting the module; one that cannot take it (gone, or the module left it) passes it on
 * to the next.
 */
export class ModuleRoutes {
  #byModule = new Map<string, NodeConnection[]>();

  update(nodes: readonly { connection: NodeConnection; view: NodeView }[]): void {
    const byModule = new Map<string, NodeConnection[]>();
    for (const { connection, view } of nodes) {
      if (view.state === 'draining') continue;
      for (const m of view.modules) {
        if (m.state === 'failed') continue;
        const list = byModule.get(m.name) ?? [];
        byModule.set(m.name, list);
        list.push(connection);
      }
    }
    this.#byModule = byModule;
  }

  async call(module: string, route: string, args: Record<string, unknown>, options: BackendCallOptions): Promise<unknown> {
    if (!route.startsWith('$'))
      throw new InsightsError('INVALID_ARGUMENT', `node routes start with "$", not "${route}"`, { parameter: 'route' });
    const nodes = this.#byModule.get(module) ?? [];
    if (nodes.length === 0) throw new InsightsError('NOT_FOUND', `no node of the mesh hosts module "${module}"`);
    let last: unknown;
    for (const connection of nodes) {
      try {
        const outcome = await connection.call({
          kind: 'query',
          name: route,
          args,
          deadline: options.deadline,
          signal: options.signal,
          capability: options.capability,
        });
        return outcome.type === 'json' ? outcome.value : outcome;
      } catch (e) {
        if (!isInsightsError(e) || !['NOT_FOUND', 'UNAVAILABLE'].includes(e.code) || Date.now() >= options.deadline) throw e;
        last = e;
      }
    }
    throw last;
  }
}
