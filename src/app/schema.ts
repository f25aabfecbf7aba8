import 'reflect-metadata';
import { buildSchemaSync, getMetadataStorage, type NonEmptyArray } from 'type-graphql';
import { withSearchableTypesOf } from '../core/search/search-provider.js';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { kernelResolvers, kernelRuleDeclarations } from './kernel-graphql.js';
import type { RuleDeclarations } from '../graphql/shield/declarations.js';
import { applyShield, mergeDeclarations } from '../graphql/shield/apply-shield.js';
import { unusedPubSub } from '../core/subscriptions/events.subscription.js';

/**
 * The schema's types and resolvers without authorization (for printing and for the schema-walk test).
 * `searchTypes`: the search provider keys of the plugins whose resolvers are passed (they join the `SearchableType`
 * enum). Built synchronously: type-graphql's metadata and the enum are global, so builds must not interleave.
 */
export async function buildUnshieldedSchema(extraResolvers: Function[] = [], searchTypes: readonly string[] = []): Promise<GraphQLSchema> {
  return withSearchableTypesOf(searchTypes, () => {
    forgetFieldResolverFields();
    return buildSchemaSync({
      resolvers: [...kernelResolvers, ...extraResolvers] as NonEmptyArray<Function>,
      validate: false,
      pubSub: unusedPubSub,
    });
  });
}

/** All authorization rules of the kernel plus the given modules'. */
export const allRuleDeclarations = (extra: RuleDeclarations[] = []): RuleDeclarations =>
  mergeDeclarations([...kernelRuleDeclarations, ...extra]);

/** Builds the GraphQL schema of the kernel plus the given plugin resolvers, every field behind a shield rule (deny by default). */
export async function buildAppSchema(
  extraResolvers: Function[] = [],
  extraRules: RuleDeclarations[] = [],
  searchTypes: readonly string[] = [],
): Promise<GraphQLSchema> {
  return applyShield(await buildUnshieldedSchema(extraResolvers, searchTypes), allRuleDeclarations(extraRules));
}

export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

/**
 * type-graphql keeps its metadata globally and, while building a schema, appends the fields that field resolvers
 * add to an object type (`Contact.loyaltyPoints`) to that type's shared metadata (`def.fields`, computed once).
 * A later schema built WITHOUT the plugin's resolver would still show the field. Clearing the computed field lists
 * before every build makes each one recompute them from the decorated fields plus only its own resolvers' field
 * resolvers (the build runs synchronously, so builds cannot interleave).
 */
function forgetFieldResolverFields(): void {
  const storage = getMetadataStorage() as unknown as { objectTypes: { fields?: unknown }[]; interfaceTypes: { fields?: unknown }[] };
  for (const definition of [...storage.objectTypes, ...storage.interfaceTypes]) definition.fields = undefined;
}
