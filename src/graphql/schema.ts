import 'reflect-metadata';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { kernelResolvers, kernelRuleDeclarations } from '../core/kernel-graphql.js';
import type { RuleDeclarations } from './shield/declarations.js';
import { applyShield, mergeDeclarations } from './shield/apply-shield.js';

/** The schema's types and resolvers without authorization (for printing and for the schema-walk test). */
export async function buildUnshieldedSchema(extraResolvers: Function[] = []): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...kernelResolvers, ...extraResolvers] as NonEmptyArray<Function>,
    validate: false,
  });
}

/** All authorization rules of the kernel plus the given modules'. */
export const allRuleDeclarations = (extra: RuleDeclarations[] = []): RuleDeclarations => mergeDeclarations([...kernelRuleDeclarations, ...extra]);

/** Builds the GraphQL schema of the kernel plus the given plugin resolvers, every field behind a shield rule (deny by default). */
export async function buildAppSchema(extraResolvers: Function[] = [], extraRules: RuleDeclarations[] = []): Promise<GraphQLSchema> {
  return applyShield(await buildUnshieldedSchema(extraResolvers), allRuleDeclarations(extraRules));
}

export function printAppSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
