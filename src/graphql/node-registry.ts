import type { RequestContext } from './context.js';
import { isPluginEnabled } from '../events/registry.js';

type NodeLoader = (ctx: RequestContext, id: string) => Promise<object | null>;

interface NodeTypeEntry {
  /** GraphQL type name, also the prefix of global ids. */
  typeName: string;
  /** Class of the root objects resolvers return for this type. */
  rootClass: abstract new (...args: never[]) => object;
  /**
   * The permission needed to read this type through `node(id:)` (e.g. `contact:read`); without it `node` returns
   * null. Types that need none (the caller's workspace, plugin timeline events) leave it out. `load` itself must
   * apply the record scope (return null for records outside it).
   */
  permission?: string;
  load: NodeLoader;
  /** The plugin the type belongs to: where it is disabled the type is not in the schema, so nothing loads. */
  plugin?: string;
}

/** Types reachable through `node(id:)`; the kernel and plugins register theirs. */
export class NodeRegistry {
  readonly #byName = new Map<string, NodeTypeEntry>();
  readonly #byClass = new Map<unknown, string>();

  register(entry: NodeTypeEntry): void {
    this.#byName.set(entry.typeName, entry);
    this.#byClass.set(entry.rootClass, entry.typeName);
  }

  loader(typeName: string): NodeLoader | undefined {
    const entry = this.#byName.get(typeName);
    if (!entry?.plugin) return entry?.load;
    const plugin = entry.plugin;
    return async (ctx, id) => (ctx.principal.workspaceId && (await isPluginEnabled(ctx.principal.workspaceId, plugin)) ? entry.load(ctx, id) : null);
  }

  /** The permission reading a type needs (undefined: none, or the type is unknown). */
  permission(typeName: string): string | undefined {
    return this.#byName.get(typeName)?.permission;
  }

  typeNameOf(root: object): string | undefined {
    return this.#byClass.get(root.constructor);
  }

  /** The type registered for a root class (an entity class), if any. */
  typeNameOfClass(rootClass: unknown): string | undefined {
    return this.#byClass.get(rootClass);
  }
}

export const nodeRegistry = new NodeRegistry();
