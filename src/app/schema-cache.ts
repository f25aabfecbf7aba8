import type { GraphQLSchema } from 'graphql';
import type { RuleDeclarations } from '../graphql/shield/declarations.js';
import { buildAppSchema, buildUnshieldedSchema } from './schema.js';
import { ContributionIndex, schemaAdditions } from '../graphql/schema-diff.js';

/** What a schema needs of a plugin: its resolvers and the shield rules for what they add. */
export interface SchemaModule {
  id: string;
  resolvers?: Function[];
  rules?: RuleDeclarations;
  /** Its search providers: their keys join the schema's `SearchableType` enum. */
  searchProviders?: readonly { key: string }[];
}

export interface SchemaEntry<Served> {
  /** The sorted enabled ids, comma-joined ('' = kernel only). */
  key: string;
  schema: GraphQLSchema;
  /** What `serve` made of the schema (the app: one started ApolloServer). */
  served: Served;
  /** Milliseconds the schema took to build (0 when given). */
  buildMs: number;
}

export interface SchemaCacheOptions<Served> {
  /** The kernel-only schema to use instead of building it (the benchmark serves one without shield). */
  kernelSchema?: GraphQLSchema;
  /** Turns a built schema into what requests are served with (e.g. a started ApolloServer). */
  serve(schema: GraphQLSchema, key: string): Promise<Served>;
}

/**
 * Schemas per distinct set of enabled plugins: kernel + those plugins' resolvers, behind shield with kernel + those
 * plugins' rules. Built once per set on first use and kept (each set also gets one `served` instance); concurrent
 * first requests for a set share the build. `modules` are the app's installed plugins in load order; a set's
 * resolvers and rules are taken in that order, so the key (sorted ids) does not depend on how the set was listed.
 */
export class SchemaCache<Served> {
  readonly #entries = new Map<string, Promise<SchemaEntry<Served>>>();
  readonly #modules: Map<string, SchemaModule>;
  readonly #order: string[];
  #contributions: Promise<ContributionIndex> | undefined;

  constructor(
    modules: readonly SchemaModule[],
    private readonly options: SchemaCacheOptions<Served>,
  ) {
    this.#modules = new Map(modules.map((m) => [m.id, m]));
    this.#order = modules.map((m) => m.id);
  }

  static key(enabledIds: readonly string[]): string {
    return [...new Set(enabledIds)].sort().join(',');
  }

  /** The schema (and served instance) for a set of enabled plugin ids; unknown ids are an error. */
  get(enabledIds: readonly string[]): Promise<SchemaEntry<Served>> {
    const key = SchemaCache.key(enabledIds);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = this.#build(key);
      this.#entries.set(key, entry);
      // a failed build is not cached: the next request tries again
      entry.catch(() => this.#entries.delete(key));
    }
    return entry;
  }

  /** The sets built so far (for tests and metrics). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Every built entry (to stop their servers on close). */
  async entries(): Promise<SchemaEntry<Served>[]> {
    const settled = await Promise.allSettled(this.#entries.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /**
   * Which installed plugin contributes which types, fields and enum values (to tell a disabled module's field from a
   * typo). Built on first use, once: the schemas of the kernel plus the first 1, 2, … installed plugins in load
   * (dependency) order, without shield; each plugin owns what its step adds.
   */
  contributions(): Promise<ContributionIndex> {
    this.#contributions ??= (async () => {
      const index = new ContributionIndex();
      let previous = await buildUnshieldedSchema();
      for (let i = 0; i < this.#order.length; i++) {
        const modules = this.#order.slice(0, i + 1).map((id) => this.#modules.get(id)!);
        const current = await buildUnshieldedSchema(
          modules.flatMap((m) => m.resolvers ?? []),
          modules.flatMap((m) => (m.searchProviders ?? []).map((p) => p.key)),
        );
        index.add(this.#order[i]!, schemaAdditions(previous, current));
        previous = current;
      }
      return index;
    })();
    this.#contributions.catch(() => (this.#contributions = undefined));
    return this.#contributions;
  }

  async #build(key: string): Promise<SchemaEntry<Served>> {
    const ids = key ? key.split(',') : [];
    for (const id of ids) if (!this.#modules.has(id)) throw new Error(`No installed plugin has the id "${id}"`);
    const modules = this.#order.filter((id) => ids.includes(id)).map((id) => this.#modules.get(id)!);
    const started = performance.now();
    const schema = modules.length === 0 && this.options.kernelSchema ? this.options.kernelSchema : await buildWorkspaceSchema(modules);
    const buildMs = modules.length === 0 && this.options.kernelSchema ? 0 : performance.now() - started;
    return { key, schema, served: await this.options.serve(schema, key), buildMs };
  }
}

/** Kernel + the given plugins (in load order), every field behind a shield rule. */
export function buildWorkspaceSchema(modules: readonly SchemaModule[]): Promise<GraphQLSchema> {
  return buildAppSchema(
    modules.flatMap((m) => m.resolvers ?? []),
    modules.flatMap((m) => (m.rules ? [m.rules] : [])),
    modules.flatMap((m) => (m.searchProviders ?? []).map((p) => p.key)),
  );
}
