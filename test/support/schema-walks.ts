import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLAbstractType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { toGlobalId } from '../../src/graphql/global-id.js';

/**
 * Operations built from the schema alone, for the walks over every root field (role matrix, cross-workspace
 * isolation): whatever a kernel or plugin change adds is walked without a hand-written query.
 */

/** Root operations of a schema as `[root, field]`, `last` ones at the end (e.g. ending one's own session). */
export function rootOperations(schema: GraphQLSchema, last: string[] = []): (readonly ['Query' | 'Mutation', string])[] {
  return (['Query', 'Mutation'] as const)
    .flatMap((root) => Object.keys((schema.getType(root) as GraphQLObjectType).getFields()).map((f) => [root, f] as const))
    .sort(([, a], [, b]) => last.indexOf(a) - last.indexOf(b));
}

/** A value the argument's type accepts (shape only: the operation may still be refused for bad input, never for the shape). */
export function dummy(type: GraphQLInputType, depth = 0): unknown {
  if (isNonNullType(type)) return dummy(type.ofType, depth);
  if (isListType(type)) return [dummy(type.ofType, depth)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields()))
      if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = dummy(field.type, depth + 1);
    return value;
  }
  switch (getNamedType(type).name) {
    case 'ID':
      return toGlobalId('Contact', randomUUID());
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return true;
    case 'DateTimeISO':
    case 'DateTime':
      return '2026-01-01T00:00:00.000Z';
    case 'JSON':
    case 'JSONObject':
      return {};
    default:
      return 'x';
  }
}

export function operationFor(
  schema: GraphQLSchema,
  root: 'Query' | 'Mutation',
  fieldName: string,
): { query: string; variables: Record<string, unknown> } {
  const field = (schema.getType(root) as GraphQLObjectType).getFields()[fieldName]!;
  const required = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type) && a.defaultValue === undefined);
  const vars = required.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = required.map((a) => `${a.name}: $${a.name}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isLeafType(named) ? '' : isObjectType(named) || isAbstractType(named) ? ' { __typename }' : '';
  const keyword = root === 'Query' ? 'query' : 'mutation';
  return {
    query: `${keyword} Probe${vars ? `(${vars})` : ''} { ${fieldName}${args ? `(${args})` : ''}${selection} }`,
    variables: Object.fromEntries(required.map((a) => [a.name, dummy(a.type)])),
  };
}

export function containsId(type: GraphQLInputType, depth = 0): boolean {
  const named = getNamedType(type);
  if (named.name === 'ID') return true;
  if (!isInputObjectType(named) || depth > 3) return false;
  return Object.values(named.getFields()).some((f) => containsId(f.type, depth + 1));
}

/** Fills required fields (shape only) and every field that can carry an id, with B's id and B's marker. */
export function fill(type: GraphQLInputType, id: string, text: string, depth = 0): unknown {
  if (isNonNullType(type)) return fill(type.ofType, id, text, depth);
  if (isListType(type)) return [fill(type.ofType, id, text, depth)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required || (depth < 3 && containsId(field.type)) || ['query', 'search'].includes(field.name))
        value[field.name] = fill(field.type, id, text, depth + 1);
    }
    return value;
  }
  switch (getNamedType(type).name) {
    case 'ID':
      return id;
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTimeISO':
    case 'DateTime':
      return '2026-01-01T00:00:00.000Z';
    case 'JSON':
    case 'JSONObject':
      return {};
    default:
      return text;
  }
}

/** An operation calling `name` with `id` in every argument that can carry an id, and `marker` in query strings. */
export function operation(schema: GraphQLSchema, root: 'Query' | 'Mutation', name: string, id: string, marker: string) {
  const field = (schema.getType(root) as GraphQLObjectType).getFields()[name]!;
  const args = field.args.filter(
    (a) => (isNonNullType(a.type) && a.defaultValue === undefined) || containsId(a.type) || ['query', 'search'].includes(a.name),
  );
  const text = root === 'Query' ? marker : 'x';
  const named = getNamedType(field.type);
  const selection = isLeafType(named)
    ? ''
    : isObjectType(named)
      ? ` ${deepSelection(schema, named, 2)}`
      : isAbstractType(named)
        ? ` ${abstractSelection(schema, named, 1)}`
        : '';
  return {
    query: `${root === 'Query' ? 'query' : 'mutation'} Probe${args.length ? `(${args.map((a) => `$${a.name}: ${a.type}`).join(', ')})` : ''} { ${name}${args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''}${selection} }`,
    variables: Object.fromEntries(args.map((a) => [a.name, fill(a.type, id, text)])),
  };
}

/**
 * Scalar fields and, a few levels down, object fields without required arguments; abstract types (Node,
 * TimelineEntry) expand into every possible type, with aliases so that fields of different types never clash.
 */
export function deepSelection(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  depth: number,
  clashing: ReadonlySet<string> = new Set(),
): string {
  const parts: string[] = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    const name = clashing.has(field.name) ? `${type.name}_${field.name}: ${field.name}` : field.name;
    if (isLeafType(named)) parts.push(name);
    else if (depth > 0 && isObjectType(named)) parts.push(`${name} ${deepSelection(schema, named, depth - 1)}`);
    else if (depth > 0 && isAbstractType(named)) parts.push(`${name} ${abstractSelection(schema, named, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

export function abstractSelection(schema: GraphQLSchema, type: GraphQLAbstractType, depth: number): string {
  const possible = schema.getPossibleTypes(type);
  const signatures = new Map<string, Set<string>>();
  for (const t of possible)
    for (const f of Object.values(t.getFields()))
      (signatures.get(f.name) ?? signatures.set(f.name, new Set()).get(f.name)!).add(String(f.type));
  const clashing = new Set([...signatures].filter(([, types]) => types.size > 1).map(([name]) => name));
  return `{ __typename ${possible.map((t) => `... on ${t.name} ${deepSelection(schema, t, depth, clashing)}`).join(' ')} }`;
}

/** Everything without `message` texts (an error may echo the id it was given; that reveals nothing). */
export function withoutMessages(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMessages);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'message')
        .map(([k, v]) => [k, withoutMessages(v)]),
    );
  return value;
}
