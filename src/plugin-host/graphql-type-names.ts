import { GraphQLScalarType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/**
 * The GraphQL type names reachable from a set of type-graphql resolver classes, each with the class (or enum object,
 * union, scalar) that defines it: the return and argument types of their queries, mutations, subscriptions and field
 * resolvers, followed through object, interface and input fields. Read from type-graphql's decorator metadata, without
 * building a schema. Two owners reaching one name through different definitions would clash in a schema holding both.
 *
 * Limitation: a type only reachable through a field added by another plugin's field resolver is attributed to that
 * plugin; a type no resolver reaches is not seen (it would not be in the schema either).
 */
export function graphqlTypeNames(resolvers: readonly Function[]): Map<string, unknown> {
  const storage = getMetadataStorage();
  const names = new Map<string, unknown>();
  const seen = new Set<unknown>();
  const resolverSet = new Set(resolvers);
  const isOrExtends = (cls: Function, target: Function) => cls === target || cls.prototype instanceof target;

  const thunk = (get: (() => unknown) | undefined) => {
    try {
      return get?.();
    } catch {
      return undefined; // a type referenced before it is defined: the schema build reports it
    }
  };

  const visit = (type: unknown): void => {
    if (Array.isArray(type)) {
      type.forEach(visit);
      return;
    }
    if (type == null || seen.has(type)) return;
    seen.add(type);
    if (type instanceof GraphQLScalarType) {
      names.set(type.name, type);
      return;
    }
    if (typeof type === 'symbol') {
      const union = storage.unions.find((u) => u.symbol === type);
      if (union) {
        names.set(union.name, union.symbol);
        visit(thunk(union.getClassTypes));
      }
      return;
    }
    if (typeof type === 'object') {
      const enumMeta = storage.enums.find((e) => e.enumObj === type);
      if (enumMeta) names.set(enumMeta.name, type);
      return;
    }
    if (typeof type !== 'function' || [String, Number, Boolean, Date].includes(type as never)) return;
    const cls = type as Function;
    const named =
      storage.objectTypes.find((m) => m.target === cls) ??
      storage.interfaceTypes.find((m) => m.target === cls) ??
      storage.inputTypes.find((m) => m.target === cls);
    if (named) names.set(named.name, cls);
    // fields (inherited ones too), and the interfaces an object type implements
    for (const field of storage.fields) {
      if (!isOrExtends(cls, field.target)) continue;
      visit(thunk(field.getType));
      for (const param of field.params ?? []) if ('getType' in param) visit(thunk(param.getType));
    }
    const object = storage.objectTypes.find((m) => m.target === cls);
    visit(object?.interfaceClasses);
  };

  const handlers = [...storage.queries, ...storage.mutations, ...storage.subscriptions];
  for (const handler of handlers) if (resolverSet.has(handler.target)) visit(thunk(handler.getReturnType));
  for (const handler of storage.fieldResolvers) if (resolverSet.has(handler.target)) visit(thunk(handler.getType));
  for (const resolverClass of storage.resolverClasses) if (resolverSet.has(resolverClass.target)) visit(thunk(resolverClass.getObjectType));
  for (const param of storage.params) if (resolverSet.has(param.target) && 'getType' in param) visit(thunk(param.getType));
  return names;
}
