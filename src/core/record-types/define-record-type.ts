import type DataLoader from 'dataloader';
import type { EntityClass } from '@mikro-orm/core';
import { Field, InputType, registerEnumType } from 'type-graphql';
import { Sql, sql, raw } from '../../db/sql.js';
import { keysetPage, keysetPagesByParent, type ListQuery, type SortKey } from '../../graphql/keyset-page.js';
import { readColumns, readRow } from '../../db/read-rows.js';
import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { Connection, pageRequest, type ConnectionArgs, type Page } from '../../graphql/relay.js';
import { SortDirection } from '../shared/filters.js';
import { customFieldExprOrReject, definitionsFor } from '../custom-fields/custom-field.service.js';
import { rejectProbes, scopeSql, type RecordScope } from '../customers/record-scope.js';
import type { FilterKind, FilterTarget, SortKind } from './filter-kinds.js';

type ClassType<T = object> = new (...args: never[]) => T;

export interface RecordTypeDefinition<
  Entity extends { id: string },
  Filters extends Record<string, FilterKind<never>>,
  Sorts extends string,
> {
  /** The GraphQL object type (`Deal`): prefix of global ids and of the generated `DealFilter`, `DealOrder`, `DealSortField`. */
  name: string;
  /** The type-graphql object type of one record (its fields); the record type adds the connection. */
  node: ClassType;
  entity: EntityClass<Entity>;
  table: string;
  /** The alias list SQL uses for the table (`d`). */
  alias: string;
  /** The permission family: `deal` → `deal:read`, `deal:update`, `deal:delete`; each role's scope (own / team / all) applies. */
  permissions: string;
  /** Columns holding the user ids a record belongs to ("own" and "team" scopes); default `['owner_id']`. */
  owners?: string[];
  /** Filter input keys, in the order the input declares them. */
  filters: Filters;
  filterDescription?: string;
  /** Sort enum values: key `stageEnteredAt` → `STAGE_ENTERED_AT`. Custom fields sort through `customField`. */
  sorts: Record<Sorts, SortKind>;
  sortDescription?: string;
  /** When no `orderBy` is given; default newest first. */
  defaultSort?: SortKey[] | ((alias: string) => SortKey[]);
  /** Soft delete: a `deleted` filter flag (the trash), `trash` and `restore`. `trashed` narrows what counts as in the trash. */
  softDelete?: boolean | { trashed: (alias: string) => string; label?: string };
  /** The tag pivot (`deal_tag`, `deal_id`): tags filter, and the record type is taggable. */
  tags?: { table: string; column: string };
  /** Whether admins can define custom fields on the type (the table has a `custom_fields jsonb` column). */
  customFields?: boolean;
  /** Noun for error messages; default the name in lower case. */
  label?: string;
  /** Plural noun for descriptions; default the label with an `s`. */
  plural?: string;
}

/** What a list's `filter` argument holds: each key's value, plus the trash flag. */
export type FilterValues<Filters> = { [K in keyof Filters]?: Filters[K] extends FilterKind<infer V> ? V | null : never } & {
  deleted?: boolean;
};

export interface OrderValue<Sorts extends string = string> {
  field?: Sorts | null;
  customField?: string | null;
  direction?: SortDirection | null;
}

/** Where a parent's records are found: `Company.deals` is `{ parentColumn: 'd.company_id' }`; joins go in `from`. */
export interface ParentLink {
  parentColumn: string;
  from?: string;
}

export interface RecordType<Entity extends { id: string }, Filters extends Record<string, FilterKind<never>>, Sorts extends string> {
  readonly name: string;
  readonly definition: RecordTypeDefinition<Entity, Filters, Sorts>;
  readonly scope: RecordScope;
  /** Generated GraphQL inputs and enum: `<Name>Filter`, `<Name>Order`, `<Name>SortField`, and `<Name>Connection`. */
  readonly Filter: ClassType<FilterValues<Filters>>;
  readonly Order: ClassType<OrderValue<Sorts>>;
  readonly SortField: Record<string, Sorts>;
  readonly Connection: ClassType;
  /** The SQL condition of a list: workspace, the caller's read scope, the trash flag and every filter key given. */
  where(ctx: RequestContext, filter?: FilterValues<Filters> | null, alias?: string): Promise<Sql>;
  orderBy(ctx: RequestContext, orderBy?: OrderValue<Sorts>[] | null, alias?: string): Promise<SortKey[]>;
  listQuery(
    ctx: RequestContext,
    filter?: FilterValues<Filters> | null,
    orderBy?: OrderValue<Sorts>[] | null,
    from?: string,
  ): Promise<ListQuery>;
  /** One keyset page (with a lazy `totalCount`). */
  list(
    ctx: RequestContext,
    args: ConnectionArgs,
    filter?: FilterValues<Filters> | null,
    orderBy?: OrderValue<Sorts>[] | null,
  ): Promise<Page<Entity>>;
  /** A loader of the same page for many parents (one statement per distinct set of arguments). */
  pagesByParent(
    ctx: RequestContext,
    link: ParentLink,
    args: ConnectionArgs,
    filter?: FilterValues<Filters> | null,
    orderBy?: OrderValue<Sorts>[] | null,
  ): DataLoader<string, Page<Entity>>;
  /** A per-request loader of records by id that the caller's read permission reaches (trashed ones too); others null. */
  readable(ctx: RequestContext): DataLoader<string, Entity | null>;
  /** A record by global id; null when missing, foreign or out of scope. */
  find(ctx: RequestContext, globalId: string, field?: string): Promise<Entity | null>;
  /**
   * A live record for a write: out of the caller's `permission` scope (default update) it is NOT_FOUND like a missing
   * one; a `version` other than the stored one is a CONFLICT.
   */
  forUpdate(
    ctx: RequestContext,
    globalId: string,
    version?: number | null,
    options?: { permission?: string; field?: string },
  ): Promise<Entity>;
  /** Moves a live record to the trash (delete permission). */
  trash(ctx: RequestContext, globalId: string, version?: number | null): Promise<Entity>;
  /** Brings a record back from the trash (delete permission). */
  restore(ctx: RequestContext, globalId: string): Promise<Entity>;
  /** The `node(id:)` registration. */
  readonly nodeType: {
    typeName: string;
    rootClass: EntityClass<Entity>;
    permission: string;
    load: (ctx: RequestContext, id: string) => Promise<Entity | null>;
  };
  /** The custom-field registration (type → table), when `customFields` is on. */
  readonly customizable?: { objectType: string; table: string };
  /** The tag registration (type → pivot), when `tags` is set. */
  readonly taggable?: { type: string; table: string; column: string };
}

const constantCase = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function namedClass(name: string): ClassType {
  // the class name shows in stack traces and type-graphql's messages
  return { [name]: class {} }[name] as ClassType;
}

/**
 * Declares a record type: one call gives a complete Relay list (filters, sorts incl. custom fields, record scope,
 * field-allowlist probes, keyset pages, totals), batched loaders, update preconditions and the trash. The kernel's
 * contacts and companies and the plugins' records are all built on it.
 */
export function defineRecordType<Entity extends { id: string }, Filters extends Record<string, FilterKind<never>>, Sorts extends string>(
  definition: RecordTypeDefinition<Entity, Filters, Sorts>,
): RecordType<Entity, Filters, Sorts> {
  const { name, entity, table } = definition;
  const label = definition.label ?? name.toLowerCase();
  const family = definition.permissions;
  const scope: RecordScope = {
    type: name,
    read: `${family}:read`,
    update: `${family}:update`,
    delete: `${family}:delete`,
    owners: definition.owners ?? ['owner_id'],
  };
  const softDelete = definition.softDelete ? (typeof definition.softDelete === 'object' ? definition.softDelete : { trashed: null }) : null;
  const defaultAlias = definition.alias;
  const trashedSql = (alias: string) => `${alias}.deleted_at is not null${softDelete?.trashed ? ` and ${softDelete.trashed(alias)}` : ''}`;

  // ---- GraphQL inputs
  const SortField = Object.fromEntries(Object.keys(definition.sorts).map((key) => [constantCase(key), key])) as Record<string, Sorts>;
  const valuesConfig = Object.fromEntries(
    Object.entries<SortKind>(definition.sorts)
      .filter(([, s]) => s.description)
      .map(([key, s]) => [constantCase(key), { description: s.description }]),
  );
  registerEnumType(SortField, { name: `${name}SortField`, description: definition.sortDescription, valuesConfig });

  const Order = namedClass(`${name}Order`);
  Field(() => SortField, { nullable: true })(Order.prototype, 'field');
  Field(() => String, { nullable: true })(Order.prototype, 'customField');
  Field(() => SortDirection, { defaultValue: SortDirection.ASC })(Order.prototype, 'direction');
  InputType(`${name}Order`, { description: 'Sort by a built-in `field` or by a `customField` key (exactly one).' })(Order);

  const Filter = namedClass(`${name}Filter`);
  for (const [key, kind] of Object.entries<FilterKind<never>>(definition.filters)) {
    Field(kind.graphqlType as never, { nullable: true, description: kind.description })(Filter.prototype, key);
  }
  if (softDelete) {
    Field(() => Boolean, { defaultValue: false, description: `List ${definition.plural ?? `${label}s`} in the trash instead.` })(
      Filter.prototype,
      'deleted',
    );
  }
  InputType(`${name}Filter`, { description: definition.filterDescription })(Filter);

  const NodeConnection = Connection(definition.node as ClassType<object>, name);

  // ---- SQL
  async function where(ctx: RequestContext, filter?: FilterValues<Filters> | null, alias = defaultAlias): Promise<Sql> {
    const values = (filter ?? {}) as Record<string, unknown>;
    rejectProbes(ctx, name, values, null);
    const parts: Sql[] = [sql`${raw(alias)}.workspace_id = ${workspaceOf(ctx)}`, scopeSql(ctx, scope, scope.read, alias)];
    if (softDelete) parts.push(raw(values.deleted ? trashedSql(alias) : `${alias}.deleted_at is null`));
    for (const [key, kind] of Object.entries<FilterKind<unknown>>(definition.filters as Record<string, FilterKind<unknown>>)) {
      const value = values[key];
      if (value == null) continue;
      const target: FilterTarget = { ctx, alias, path: `filter.${key}`, typeName: name, tagPivot: definition.tags };
      parts.push(...(await kind.toSql(value, target)));
    }
    return Sql.and(parts);
  }

  async function orderBy(ctx: RequestContext, orders?: OrderValue<Sorts>[] | null, alias = defaultAlias): Promise<SortKey[]> {
    if (!orders?.length) {
      const fallback = definition.defaultSort;
      if (!fallback) return [{ expr: `${alias}.created_at`, direction: 'DESC', nullable: false }];
      return typeof fallback === 'function' ? fallback(alias) : fallback;
    }
    rejectProbes(ctx, name, null, orders);
    const defs = orders.some((o) => o.customField != null) ? await definitionsFor(ctx, name) : new Map();
    return orders.flatMap((o, i) => {
      if ((o.field == null) === (o.customField == null))
        throw InputRejected.one(`orderBy.${i}`, 'give exactly one of field or customField');
      const direction = o.direction === SortDirection.DESC ? 'DESC' : 'ASC';
      if (o.customField != null) {
        if (!definition.customFields) throw InputRejected.one(`orderBy.${i}.customField`, `${name} has no custom fields`);
        return [
          {
            expr: customFieldExprOrReject(defs, o.customField, alias, `orderBy.${i}.customField`).expr,
            direction,
            nullable: true,
          } as SortKey,
        ];
      }
      const sort = (definition.sorts as Record<string, SortKind>)[o.field!];
      if (!sort) throw InputRejected.one(`orderBy.${i}.field`, `unknown sort field ${String(o.field)}`);
      return sort.exprs(alias).map((expr) => ({ expr, direction, nullable: sort.nullable }) as SortKey);
    });
  }

  async function listQuery(
    ctx: RequestContext,
    filter?: FilterValues<Filters> | null,
    orders?: OrderValue<Sorts>[] | null,
    from = `${table} ${defaultAlias}`,
  ): Promise<ListQuery> {
    return {
      from,
      select: readColumns(ctx.em, entity as EntityClass<object>, defaultAlias),
      where: await where(ctx, filter),
      orderBy: await orderBy(ctx, orders),
      idExpr: `${defaultAlias}.id`,
    };
  }

  const mapRow = (ctx: RequestContext) => (row: Record<string, unknown>) => readRow(ctx.em, entity, row);

  function readable(ctx: RequestContext): DataLoader<string, Entity | null> {
    return ctx.loaders.byIdWhere(entity as EntityClass<Entity>, scope.read, (c) => scopeSql(c, scope, scope.read, 't'));
  }

  /** The owner ids of a loaded record, read through the entity's properties mapped to the owner columns. */
  function ownersOf(ctx: RequestContext, record: Entity): (string | null | undefined)[] {
    const meta = ctx.em.getMetadata().get(entity);
    return scope.owners.map((column) => {
      const prop = meta.props.find((p) => p.fieldNames?.includes(column));
      const value = prop ? (record as Record<string, unknown>)[prop.name] : undefined;
      return value != null && typeof value === 'object' ? ((value as { id?: string }).id ?? null) : (value as string | null | undefined);
    });
  }

  async function forUpdate(
    ctx: RequestContext,
    globalId: string,
    version?: number | null,
    options: { permission?: string; field?: string } = {},
  ): Promise<Entity> {
    const field = options.field ?? 'id';
    const id = expectGlobalId(globalId, name, field);
    const live = softDelete ? { id, deletedAt: null } : { id };
    const record = (await ctx.em.findOne(entity, live as never)) as Entity | null;
    if (!record || !ctx.principal.access.reaches(options.permission ?? scope.update, ownersOf(ctx, record))) {
      throw InputRejected.one(field, `${label} not found`, ErrorCode.NOT_FOUND);
    }
    const current = (record as { version?: number }).version;
    if (version != null && current !== undefined && current !== version) {
      throw InputRejected.one(
        'version',
        `the ${label} is at version ${current}, not ${version}; reload it and try again`,
        ErrorCode.CONFLICT,
      );
    }
    return record;
  }

  const requireSoftDelete = () => {
    if (!softDelete) throw new Error(`${name} is not declared with softDelete`);
  };

  return {
    name,
    definition,
    scope,
    Filter: Filter as ClassType<FilterValues<Filters>>,
    Order: Order as ClassType<OrderValue<Sorts>>,
    SortField,
    Connection: NodeConnection,
    where,
    orderBy,
    listQuery,
    async list(ctx, args, filter, orders) {
      const request = pageRequest(args);
      return keysetPage(ctx.em, await listQuery(ctx, filter, orders), request, mapRow(ctx));
    },
    pagesByParent(ctx, link, args, filter, orders) {
      const request = pageRequest(args);
      return ctx.loaders.get<string, Page<Entity>>(
        `${name}.pagesByParent.${JSON.stringify([link, args, filter, orders])}`,
        async (parentIds, c) =>
          keysetPagesByParent(c.em, await listQuery(c, filter, orders, link.from), link.parentColumn, parentIds, request, mapRow(c)),
      );
    },
    readable,
    find: (ctx, globalId, field = 'id') => readable(ctx).load(expectGlobalId(globalId, name, field)),
    forUpdate,
    async trash(ctx, globalId, version) {
      requireSoftDelete();
      const record = await forUpdate(ctx, globalId, version, { permission: scope.delete });
      (record as { deletedAt?: Date | null }).deletedAt = new Date();
      await ctx.em.flush();
      return record;
    },
    async restore(ctx, globalId) {
      requireSoftDelete();
      const id = expectGlobalId(globalId, name, 'id');
      const conditions = sql`select t.id from ${raw(table)} t where t.id = ${id} and ${raw(trashedSql('t'))}`;
      const [row] = await ctx.em.execute<{ id: string }[]>(conditions.text, conditions.params);
      const record = row ? ((await ctx.em.findOne(entity, { id } as never)) as Entity | null) : null;
      if (!record || !ctx.principal.access.reaches(scope.delete, ownersOf(ctx, record))) {
        throw InputRejected.one('id', `no ${label} with this id is in the trash`, ErrorCode.NOT_FOUND);
      }
      (record as { deletedAt?: Date | null }).deletedAt = null;
      await ctx.em.flush();
      return record;
    },
    nodeType: { typeName: name, rootClass: entity, permission: scope.read, load: (ctx, id) => readable(ctx).load(id) },
    customizable: definition.customFields ? { objectType: name, table } : undefined,
    taggable: definition.tags ? { type: name, ...definition.tags } : undefined,
  };
}
