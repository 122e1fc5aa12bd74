/**
 * Which other modules' collections each module may read (ctx.readDb): what the module declares it
 * reads (defineModule({ reads })) and its operator allows (modules[].reads), both. The node
 * decides; a sandboxed module only ever gets a read-only database limited to these collections.
 * For an owner on another node, that node's operator decides too (RemoteReadGrants, below).
 */
import { InsightsError } from '@insights/sdk';

/** One entry of modules[].reads: a whole module, or some of its collections. */
export type ReadAllowance = string | { module: string; collections?: string[] | undefined };

export class ReadGrants {
  /** reader -> owner -> collections the operator allows (undefined: whatever the reader declares). */
  readonly #allowed = new Map<string, Map<string, ReadonlySet<string> | undefined>>();

  allow(reader: string, allowances: readonly ReadAllowance[]): void {
    const byOwner = new Map<string, ReadonlySet<string> | undefined>();
    for (const a of allowances) {
      if (typeof a === 'string') byOwner.set(a, undefined);
      else byOwner.set(a.module, a.collections === undefined ? undefined : new Set(a.collections));
    }
    this.#allowed.set(reader, byOwner);
  }

  forget(reader: string): void {
    this.#allowed.delete(reader);
  }

  /** The collections `reader` may read of `owner`'s data, or a PERMISSION_DENIED saying what is missing. */
  collections(reader: string, owner: string, declared: Readonly<Record<string, readonly string[]>>): ReadonlySet<string> {
    const byOwner = this.#allowed.get(reader);
    if (byOwner === undefined || !byOwner.has(owner))
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${reader}" may not read module "${owner}"'s data: the node's config must allow it (modules[].reads)`,
      );
    const wanted = declared[owner];
    if (wanted === undefined)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${reader}" does not declare that it reads module "${owner}"'s data: add reads: { '${owner}': [collections] } to its defineModule`,
      );
    const allowed = byOwner.get(owner);
    return new Set(allowed === undefined ? wanted : wanted.filter((c) => allowed.has(c)));
  }
}

/**
 * One entry of modules[].readBy, on the OWNER's node: a module on another node that may read this
 * module's data through the mesh, all of it or some collections, from any node or some.
 */
export type RemoteReadAllowance = string | { module: string; collections?: string[] | undefined; nodes?: string[] | undefined };

interface RemoteAllowance {
  readonly collections: ReadonlySet<string> | undefined;
  readonly nodes: ReadonlySet<string> | undefined;
}

/**
 * What of this node's modules' data leaves it (reads through the mesh): only what the operator
 * of THIS node lists in modules[].readBy, intersected with what the reader's node asks for (the
 * reader's declaration as its own operator allows it). Nothing is shared by default.
 */
export class RemoteReadGrants {
  /** owner -> reader -> what this node's operator allows. */
  readonly #allowed = new Map<string, Map<string, RemoteAllowance>>();

  allow(owner: string, allowances: readonly RemoteReadAllowance[]): void {
    const byReader = new Map<string, RemoteAllowance>();
    for (const a of allowances) {
      if (typeof a === 'string') byReader.set(a, { collections: undefined, nodes: undefined });
      else
        byReader.set(a.module, {
          collections: a.collections === undefined ? undefined : new Set(a.collections),
          nodes: a.nodes === undefined ? undefined : new Set(a.nodes),
        });
    }
    this.#allowed.set(owner, byReader);
  }

  forget(owner: string): void {
    this.#allowed.delete(owner);
  }

  /** The collections `reader` (a module on `node`) may read of `owner`'s data, or PERMISSION_DENIED saying what is missing. */
  collections(node: string, reader: string, owner: string, asked: readonly string[]): ReadonlySet<string> {
    const allowance = this.#allowed.get(owner)?.get(reader);
    if (allowance === undefined)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${reader}" (node "${node}") may not read module "${owner}"'s data through the mesh: the owner node's config must allow it (modules[].readBy of "${owner}")`,
      );
    if (allowance.nodes !== undefined && !allowance.nodes.has(node))
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${reader}" may read module "${owner}"'s data only from node${allowance.nodes.size === 1 ? '' : 's'} ${[...allowance.nodes].map((n) => `"${n}"`).join(', ')}, not from "${node}" (modules[].readBy of "${owner}")`,
      );
    const allowed = allowance.collections;
    return new Set(allowed === undefined ? asked : asked.filter((c) => allowed.has(c)));
  }
}
