import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  Kind,
  lexicographicSortSchema,
  parse,
  print,
  printType,
  type DefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type TypeDefinitionNode,
} from 'graphql';

/**
 * What `extended` adds to `base` (two schemas where the second is the first plus some plugins): whole new types,
 * and for types both have, the fields, interfaces, enum values and union members only the second has.
 */
export interface SchemaAdditions {
  /** Named types only `extended` has. */
  types: string[];
  /** `Type.field` (object, interface and input types) only `extended` has, on types both have. */
  fields: { type: string; field: string }[];
  /** Enum values only `extended` has, on enums both have. */
  enumValues: { type: string; value: string }[];
}

const builtIn = (name: string) => name.startsWith('__');

/** Fields / values / members of a named type, for comparing the same type in two schemas. */
function memberNames(type: GraphQLNamedType): { fields: string[]; interfaces: string[]; values: string[]; members: string[] } {
  return {
    fields: isObjectType(type) || isInterfaceType(type) || isInputObjectType(type) ? Object.keys(type.getFields()) : [],
    interfaces: isObjectType(type) || isInterfaceType(type) ? type.getInterfaces().map((i) => i.name) : [],
    values: isEnumType(type) ? type.getValues().map((v) => v.name) : [],
    members: isUnionType(type) ? type.getTypes().map((t) => t.name) : [],
  };
}

export function schemaAdditions(base: GraphQLSchema, extended: GraphQLSchema): SchemaAdditions {
  const additions: SchemaAdditions = { types: [], fields: [], enumValues: [] };
  for (const [name, type] of Object.entries(extended.getTypeMap()).sort(([a], [b]) => a.localeCompare(b))) {
    if (builtIn(name)) continue;
    const before = base.getType(name);
    if (!before) {
      additions.types.push(name);
      continue;
    }
    const was = memberNames(before);
    const now = memberNames(type);
    for (const field of now.fields) if (!was.fields.includes(field)) additions.fields.push({ type: name, field });
    for (const value of now.values) if (!was.values.includes(value)) additions.enumValues.push({ type: name, value });
  }
  return additions;
}

/**
 * The SDL of what `extended` adds to `base`: new types in full, `extend type|interface|input|enum|union X` with only
 * the added fields, interfaces, values or members for types both have. Sorted like `printSchema` of a sorted schema.
 * A change that SDL cannot express as an extension (a field of a shared type whose arguments or type differ) is an
 * error naming it: a plugin must not change what the kernel (or a plugin it depends on) defines.
 */
export function printSchemaAdditions(base: GraphQLSchema, extended: GraphQLSchema): string {
  const sortedBase = lexicographicSortSchema(base);
  const sorted = lexicographicSortSchema(extended);
  const definitions: DefinitionNode[] = [];
  for (const type of Object.values(sorted.getTypeMap())) {
    if (builtIn(type.name)) continue;
    const before = sortedBase.getType(type.name);
    const node = parse(printType(type)).definitions[0] as TypeDefinitionNode;
    if (!before) {
      definitions.push(node);
      continue;
    }
    const beforeNode = parse(printType(before)).definitions[0] as TypeDefinitionNode;
    const extension = extensionOf(node, beforeNode);
    if (extension) definitions.push(extension);
  }
  return `${definitions.map((d) => print(d)).join('\n\n')}\n`;
}

/** `node` minus what `beforeNode` (the same type in the base schema) has, as an extension node; undefined if nothing. */
function extensionOf(node: TypeDefinitionNode, beforeNode: TypeDefinitionNode): DefinitionNode | undefined {
  const printed = (n: { loc?: unknown } & object) => print(n as never);
  const added = <T extends { name: { value: string } }>(
    now: readonly T[] | undefined,
    was: readonly T[] | undefined,
    what: string,
  ): T[] => {
    const wasByName = new Map((was ?? []).map((n) => [n.name.value, n]));
    return (now ?? []).filter((n) => {
      const old = wasByName.get(n.name.value);
      if (!old) return true;
      if (what === 'field' && printed(withoutDescription(n)) !== printed(withoutDescription(old))) {
        throw new Error(
          `${node.name.value}.${n.name.value} differs from the base schema's (${printed(withoutDescription(old))} → ${printed(withoutDescription(n))}): SDL cannot extend it`,
        );
      }
      return false;
    });
  };
  switch (node.kind) {
    case Kind.OBJECT_TYPE_DEFINITION:
    case Kind.INTERFACE_TYPE_DEFINITION: {
      const was = beforeNode as typeof node;
      const fields = added(node.fields, was.fields, 'field');
      const interfaces = added(node.interfaces, was.interfaces, 'interface');
      if (!fields.length && !interfaces.length) return undefined;
      const kind = node.kind === Kind.OBJECT_TYPE_DEFINITION ? Kind.OBJECT_TYPE_EXTENSION : Kind.INTERFACE_TYPE_EXTENSION;
      return { kind, name: node.name, interfaces, fields, directives: [] } as DefinitionNode;
    }
    case Kind.INPUT_OBJECT_TYPE_DEFINITION: {
      const fields = added(node.fields, (beforeNode as typeof node).fields, 'field');
      return fields.length ? { kind: Kind.INPUT_OBJECT_TYPE_EXTENSION, name: node.name, fields, directives: [] } : undefined;
    }
    case Kind.ENUM_TYPE_DEFINITION: {
      const values = added(node.values, (beforeNode as typeof node).values, 'value');
      return values.length ? { kind: Kind.ENUM_TYPE_EXTENSION, name: node.name, values, directives: [] } : undefined;
    }
    case Kind.UNION_TYPE_DEFINITION: {
      const types = added(node.types, (beforeNode as typeof node).types, 'member');
      return types.length ? { kind: Kind.UNION_TYPE_EXTENSION, name: node.name, types, directives: [] } : undefined;
    }
    default:
      return undefined;
  }
}

function withoutDescription<T extends object>(node: T): T {
  const { description: _ignored, ...rest } = node as T & { description?: unknown };
  return rest as T;
}

/**
 * Which installed plugin contributes which types, fields and enum values: built from the schemas of the kernel plus
 * the first 1, 2, … plugins in load (dependency) order, each plugin owning what its step adds.
 */
export class ContributionIndex {
  readonly #types = new Map<string, string>();
  readonly #fields = new Map<string, string>();
  readonly #enumValues = new Map<string, string>();

  add(pluginId: string, additions: SchemaAdditions): void {
    for (const type of additions.types) if (!this.#types.has(type)) this.#types.set(type, pluginId);
    for (const { type, field } of additions.fields)
      if (!this.#fields.has(`${type}.${field}`)) this.#fields.set(`${type}.${field}`, pluginId);
    for (const { type, value } of additions.enumValues)
      if (!this.#enumValues.has(`${type}.${value}`)) this.#enumValues.set(`${type}.${value}`, pluginId);
  }

  /** The plugin that contributes the named type (undefined: the kernel's, or nobody's). */
  typeOwner(type: string): string | undefined {
    return this.#types.get(type);
  }

  /** The plugin that contributes `type.field`: the field's own contributor, else the type's. */
  fieldOwner(type: string, field: string): string | undefined {
    return this.#fields.get(`${type}.${field}`) ?? this.#types.get(type);
  }

  enumValueOwner(type: string, value: string): string | undefined {
    return this.#enumValues.get(`${type}.${value}`) ?? this.#types.get(type);
  }
}
