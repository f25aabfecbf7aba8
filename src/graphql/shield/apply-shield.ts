import { applyMiddleware } from 'graphql-middleware';
import { allow, and, deny, shield } from 'graphql-shield';
import {
  defaultFieldResolver,
  GraphQLError,
  isIntrospectionType,
  isNonNullType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { ErrorCode, graphqlError } from '../errors.js';
import { protectedFields } from '../../permissions/protected-fields.js';
import type { RuleDeclarations } from './declarations.js';
import { fieldVisible, unregisteredPermissions, type ShieldRule } from './rules.js';

const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'] as const;

/**
 * Connection, edge and payload types are reachable only through the field that returns them; that field's rule
 * decides. Every other object type must be declared.
 */
export const CONVENTION_TYPES = /(Connection|Edge|Payload)$/;

export interface FieldRule {
  type: string;
  field: string;
  rule: ShieldRule;
  /** Where the rule came from: declared for the field, by the type's wildcard, by convention, or the deny fallback. */
  source: 'field' | 'wildcard' | 'convention' | 'fallback';
}

/** Merges rule declarations of several modules; two modules declaring the same root field or type field is an error. */
export function mergeDeclarations(all: RuleDeclarations[]): RuleDeclarations {
  const merged: Required<RuleDeclarations> = { Query: {}, Mutation: {}, Subscription: {}, types: {} };
  for (const declarations of all) {
    for (const root of ROOT_TYPES) {
      for (const [field, rule] of Object.entries(declarations[root] ?? {})) {
        if (merged[root][field]) throw new Error(`Two rules declared for ${root}.${field}`);
        merged[root][field] = rule;
      }
    }
    for (const [type, rules] of Object.entries(declarations.types ?? {})) {
      merged.types[type] ??= {};
      const target = merged.types[type];
      for (const [field, rule] of Object.entries(rules)) {
        if (target[field]) throw new Error(`Two rules declared for ${type}.${field}`);
        target[field] = rule;
      }
    }
  }
  return merged;
}

/** The rule of every field of every object type in the schema (protected fields get their visibility check added). */
export function resolveFieldRules(schema: GraphQLSchema, declarations: RuleDeclarations): FieldRule[] {
  const unknown: string[] = [];
  for (const root of ROOT_TYPES) {
    const type = schema.getType(root);
    const fields = isObjectType(type) ? type.getFields() : {};
    for (const field of Object.keys(declarations[root] ?? {})) if (!fields[field]) unknown.push(`${root}.${field}`);
  }
  for (const [typeName, rules] of Object.entries(declarations.types ?? {})) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) unknown.push(typeName);
    else for (const field of Object.keys(rules)) if (field !== '*' && !type.getFields()[field]) unknown.push(`${typeName}.${field}`);
  }
  if (unknown.length) throw new Error(`Shield rules name what the schema does not have: ${unknown.join(', ')}`);
  const result: FieldRule[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    const root = (ROOT_TYPES as readonly string[]).includes(type.name) ? (type.name as (typeof ROOT_TYPES)[number]) : null;
    const typeRules = root ? (declarations[root] ?? {}) : declarations.types?.[type.name];
    for (const field of Object.keys(type.getFields())) {
      let entry: FieldRule;
      if (typeRules?.[field]) entry = { type: type.name, field, rule: typeRules[field]!, source: 'field' };
      else if (!root && typeRules?.['*']) entry = { type: type.name, field, rule: typeRules['*']!, source: 'wildcard' };
      else if (!root && !typeRules && CONVENTION_TYPES.test(type.name))
        entry = { type: type.name, field, rule: allow, source: 'convention' };
      else entry = { type: type.name, field, rule: deny, source: 'fallback' };
      if (protectedFields.get(type.name, field)) {
        const visible = fieldVisible(type.name, field);
        entry = { ...entry, rule: entry.rule === allow ? visible : and(entry.rule as never, visible as never) };
      }
      result.push(entry);
    }
  }
  const unregistered = unregisteredPermissions(result.map((r) => r.rule));
  if (unregistered.length) throw new Error(`Shield rules require permissions nobody registered: ${unregistered.join(', ')}`);
  return result;
}

/** Protected fields must be nullable: hiding one nulls the field, not its parent. */
export function nonNullProtectedFields(schema: GraphQLSchema): string[] {
  return protectedFields
    .all()
    .filter((p) => {
      const type = schema.getType(p.type);
      if (!isObjectType(type)) return false;
      const field = type.getFields()[p.field];
      return field != null && isNonNullType(field.type);
    })
    .map((p) => `${p.type}.${p.field}`);
}

/**
 * Wraps the schema in graphql-shield with `fallbackRule: deny`. Fields whose rule is `allow` get their original
 * resolver back afterwards: an `allow` rule can never refuse, so skipping shield's per-field promise chain
 * changes nothing but the cost (shield otherwise wraps every field of every row of a list).
 */
export function applyShield(schema: GraphQLSchema, declarations: RuleDeclarations): GraphQLSchema {
  const rules = resolveFieldRules(schema, declarations);
  const tree: Record<string, Record<string, ShieldRule>> = {};
  for (const { type, field, rule } of rules) {
    tree[type] ??= {};
    tree[type][field] = rule;
  }

  const originals = new Map<string, GraphQLFieldResolver<unknown, unknown> | undefined>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    for (const [name, field] of Object.entries(type.getFields())) originals.set(`${type.name}.${name}`, field.resolve);
  }

  const shielded = applyMiddleware(
    schema,
    shield(tree as never, {
      fallbackRule: deny,
      allowExternalErrors: true,
      debug: false,
      fallbackError: (error: unknown, _parent: unknown, _args: unknown, shieldCtx: unknown) => {
        const ctx = shieldCtx as { principal?: { kind: string } } | undefined;
        if (error instanceof GraphQLError) return error;
        if (error) throw error;
        return ctx?.principal?.kind === 'anonymous' || !ctx?.principal
          ? graphqlError(ErrorCode.UNAUTHENTICATED, 'Sign in first: send `Authorization: Bearer <access token or API key>`.')
          : graphqlError(ErrorCode.FORBIDDEN, 'Not allowed.');
      },
    }),
  );

  for (const { type, field, rule } of rules) {
    if (rule !== allow || ROOT_TYPES.includes(type as never)) continue;
    const target = shielded.getType(type);
    if (!isObjectType(target)) continue;
    target.getFields()[field]!.resolve = originals.get(`${type}.${field}`) ?? defaultFieldResolver;
  }
  return shielded;
}
