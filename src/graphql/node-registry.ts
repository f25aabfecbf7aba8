import type { RequestContext } from './context.js';
import { eventsOf } from '../events/registry.js';
import { AppSlot, lookupInApp, type AppScoped } from '../registries/app-slot.js';
import { ContributionRegistry, KERNEL_OWNER } from '../registries/contribution-registry.js';

type NodeLoader = (ctx: RequestContext, id: string) => Promise<object | null>;

export interface NodeTypeEntry {
  /** GraphQL type name, also the prefix of global ids. */
  typeName: string;
  /** Class of the root objects resolvers return for this type. */
  rootClass: Function;
  /**
   * The permission needed to read this type through `node(id:)` (e.g. `contact:read`); without it `node` returns
   * null. Types that need none (the caller's workspace, plugin timeline events) leave it out. `load` itself must
   * apply the record scope (return null for records outside it).
   */
  permission?: string;
  load: NodeLoader;
}

/**
 * Types reachable through `node(id:)`, by GraphQL type name, each stamped with its owner. The kernel's live in
 * `kernelNodeTypes`; each app layers its plugins' over them (`nodeTypesOf(ctx)`), refusing a plugin that claims a
 * name already taken.
 */
export class NodeRegistry {
  readonly #types: ContributionRegistry<NodeTypeEntry>;
  readonly #byClass = new Map<unknown, string>();

  constructor(readonly base?: NodeRegistry) {
    this.#types = new ContributionRegistry('node type', base ? base.#types : undefined);
  }

  register(entry: NodeTypeEntry, owner = KERNEL_OWNER): void {
    this.#types.add(owner, entry.typeName, entry);
    this.#byClass.set(entry.rootClass, entry.typeName);
  }

  /** The loader of a type; a plugin's type loads nothing in workspaces where that plugin is disabled. */
  loader(typeName: string): NodeLoader | undefined {
    const entry = this.#types.get(typeName);
    const owner = this.#types.ownerOf(typeName);
    if (!entry || owner === KERNEL_OWNER) return entry?.load;
    return async (ctx, id) =>
      ctx.principal.workspaceId && (await eventsOf(ctx.em).isPluginEnabled(ctx.principal.workspaceId, owner!)) ? entry.load(ctx, id) : null;
  }

  /** The permission reading a type needs (undefined: none, or the type is unknown). */
  permission(typeName: string): string | undefined {
    return this.#types.get(typeName)?.permission;
  }

  ownerOf(typeName: string): string | undefined {
    return this.#types.ownerOf(typeName);
  }

  typeNameOf(root: object): string | undefined {
    return this.#byClass.get(root.constructor) ?? this.base?.typeNameOf(root);
  }

  /** The type registered for a root class (an entity class), if any. */
  typeNameOfClass(rootClass: unknown): string | undefined {
    return this.#byClass.get(rootClass) ?? this.base?.typeNameOfClass(rootClass);
  }
}

/** The kernel's node types (registered where each kernel module defines its type). */
export const kernelNodeTypes = new NodeRegistry();

export const NODE_TYPES_SLOT = new AppSlot<NodeRegistry>('node types');

/** The node types of the app serving `ctx` (or owning an entity manager); the kernel's when none is attached. */
export function nodeTypesOf(holder: RequestContext | AppScoped): NodeRegistry {
  const scoped = 'em' in holder && holder.em ? holder.em : (holder as AppScoped);
  return lookupInApp(scoped, NODE_TYPES_SLOT) ?? kernelNodeTypes;
}
