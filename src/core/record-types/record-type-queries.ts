import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { ConnectionArgs, toConnection } from '../../graphql/relay.js';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires, signedIn } from '../../graphql/shield/rules.js';
import type { FilterValues, OrderValue, RecordType } from './define-record-type.js';

export interface RecordTypeQueryNames {
  /** The list query, e.g. `deals`. */
  list: string;
  /** The single-record query, e.g. `deal`. */
  one: string;
  description?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: any record type, whatever its filters
type AnyRecordType = RecordType<{ id: string }, any, string>;

/**
 * The read side of a record type as a resolver class: `<list>(first, after, last, before, filter, orderBy)` and
 * `<one>(id)`, both in the caller's read scope, and the node's global `id`.
 */
export function recordTypeQueries(recordType: AnyRecordType, names: RecordTypeQueryNames): Function {
  const { name } = recordType;
  @Resolver(() => recordType.definition.node)
  class RecordTypeQueries {
    @Query(() => recordType.Connection, {
      name: names.list,
      description:
        names.description ?? `${name} records in your ${recordType.scope.read} scope: filter, sort (built-in or custom fields) and page.`,
    })
    async list(
      @Args(() => ConnectionArgs) page: ConnectionArgs,
      @Arg('filter', () => recordType.Filter, { nullable: true }) filter: FilterValues<unknown> | null,
      @Arg('orderBy', () => [recordType.Order], { nullable: true }) orderBy: OrderValue[] | null,
      @Ctx() ctx: RequestContext,
    ) {
      return toConnection(await recordType.list(ctx, page, filter, orderBy));
    }

    @Query(() => recordType.definition.node, {
      name: names.one,
      nullable: true,
      description: `A ${name} by id; null when missing or outside your scope.`,
    })
    one(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
      return recordType.find(ctx, id);
    }

    @FieldResolver(() => ID)
    id(@Root() record: { id: string }) {
      return toGlobalId(name, record.id);
    }
  }
  Object.defineProperty(RecordTypeQueries, 'name', { value: `${name}Queries` });
  return RecordTypeQueries;
}

/** Shield rules of what `recordTypeQueries` adds: both queries need the read permission; the types are reached only through them. */
export function recordTypeQueryRules(recordType: AnyRecordType, names: RecordTypeQueryNames): RuleDeclarations {
  const read = requires(recordType.scope.read);
  const { name } = recordType;
  return {
    Query: { [names.list]: read, [names.one]: read },
    types: { [name]: { '*': signedIn }, [`${name}Edge`]: { '*': signedIn }, [`${name}Connection`]: { '*': signedIn } },
  };
}
