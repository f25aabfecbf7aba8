import 'reflect-metadata';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { kernelResolvers } from '../core/kernel-graphql.js';

/** Builds the GraphQL schema of the kernel plus the given plugin resolvers. */
export async function buildAppSchema(extraResolvers: Function[] = []): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...kernelResolvers, ...extraResolvers] as NonEmptyArray<Function>,
    validate: false,
  });
}

export function printAppSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
