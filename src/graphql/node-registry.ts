import type { RequestContext } from './context.js';

type NodeLoader = (ctx: RequestContext, id: string) => Promise<object | null>;

interface NodeTypeEntry {
  /** GraphQL type name, also the prefix of global ids. */
  typeName: string;
  /** Class of the root objects resolvers return for this type. */
  rootClass: abstract new (...args: never[]) => object;
  load: NodeLoader;
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
    return this.#byName.get(typeName)?.load;
  }

  typeNameOf(root: object): string | undefined {
    return this.#byClass.get(root.constructor);
  }
}

export const nodeRegistry = new NodeRegistry();
