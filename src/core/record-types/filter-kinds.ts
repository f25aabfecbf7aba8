import { ID, registerEnumType } from 'type-graphql';
import { Sql, sql, raw, likeEscape } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import {
  CustomFieldFilter,
  DateRangeFilter,
  DateTimeFilter,
  IdFilter,
  IntFilter,
  MoneyRangeFilter,
  StringFilter,
  dateFilterSql,
  dateRangeFilterSql,
  idFilterSql,
  moneyRangeFilterSql,
  numberFilterSql,
  stringFilterSql,
} from '../shared/filters.js';
import { customFilterSql, definitionsFor } from '../custom-fields/custom-field.service.js';

/** Where a filter key is applied: the list's alias, the record type, and the path used in error messages. */
export interface FilterTarget {
  ctx: RequestContext;
  alias: string;
  /** `filter.<key>` */
  path: string;
  /** The record type's GraphQL name (custom fields and probes are per type). */
  typeName: string;
  /** The tag pivot of the record type, when it is taggable. */
  tagPivot?: { table: string; column: string };
}

/**
 * One key of a record type's filter input: its GraphQL type and the SQL conditions a value adds. `Value` is what
 * a client sends (the input class's property type).
 */
export interface FilterKind<Value = unknown> {
  graphqlType: () => unknown;
  description?: string;
  toSql(value: Value, target: FilterTarget): Sql[] | Promise<Sql[]>;
}

/** A column of the list's table (`'first_name'`) or an SQL expression over its alias (`(a) => \`lower(${a}.name)\``). */
export type Column = string | ((alias: string) => string);

export const columnSql = (column: Column, alias: string) => (typeof column === 'function' ? column(alias) : `${alias}.${column}`);

interface Described {
  description?: string;
}

const anyOf = (expr: string, values: readonly unknown[]) =>
  values.length
    ? sql`${raw(expr)} in (${Sql.join(
        values.map((v) => sql`${v}`),
        ', ',
      )})`
    : sql`false`;

/**
 * The filter kinds a record type combines. Each builds the same SQL the kernel's own lists use, so a plugin's
 * `DealFilter.amount` behaves exactly like the kernel's filters do.
 */
export const f = {
  /** eq / ne / in / contains / startsWith / isNull on a text column. */
  text: (column: Column, options: Described = {}): FilterKind<StringFilter> => ({
    graphqlType: () => StringFilter,
    description: options.description,
    toSql: (value, t) => stringFilterSql(columnSql(column, t.alias), value),
  }),
  /** A reference by global id of `type` (eq / in / isNull). */
  id: (column: Column, type: string, options: Described = {}): FilterKind<IdFilter> => ({
    graphqlType: () => IdFilter,
    description: options.description,
    toSql: (value, t) => idFilterSql(columnSql(column, t.alias), value, type, t.path),
  }),
  /**
   * Any of the given values of an enum column. `enumName` registers the enum with GraphQL under that name (leave it
   * out when the enum is registered already, e.g. because the node type shows it).
   */
  oneOf: <E extends Record<string, string>>(
    column: Column,
    enumType: E,
    options: Described & { enumName?: string } = {},
  ): FilterKind<E[keyof E][]> => {
    if (options.enumName) registerEnumType(enumType, { name: options.enumName });
    return {
      graphqlType: () => [enumType],
      description: options.description,
      toSql: (value, t) => [anyOf(`${columnSql(column, t.alias)}::text`, value)],
    };
  },
  boolean: (column: Column, options: Described = {}): FilterKind<boolean> => ({
    graphqlType: () => Boolean,
    description: options.description,
    toSql: (value, t) => [sql`${raw(columnSql(column, t.alias))} = ${value}`],
  }),
  /** eq / ne / gt / gte / lt / lte / isNull on a number column. */
  number: (column: Column, options: Described = {}): FilterKind<IntFilter> => ({
    graphqlType: () => IntFilter,
    description: options.description,
    toSql: (value, t) => numberFilterSql(columnSql(column, t.alias), value),
  }),
  /** A timestamp range. */
  dateTime: (column: Column, options: Described = {}): FilterKind<DateTimeFilter> => ({
    graphqlType: () => DateTimeFilter,
    description: options.description,
    toSql: (value, t) => dateFilterSql(columnSql(column, t.alias), value),
  }),
  /** A calendar-date range (YYYY-MM-DD, inclusive). */
  dateRange: (column: Column, options: Described = {}): FilterKind<DateRangeFilter> => ({
    graphqlType: () => DateRangeFilter,
    description: options.description,
    toSql: (value, t) => dateRangeFilterSql(columnSql(column, t.alias), value, t.path),
  }),
  /** An amount range in one currency, over an amount column (minor units) and a currency column. */
  money: (amount: Column, currency: Column, options: Described = {}): FilterKind<MoneyRangeFilter> => ({
    graphqlType: () => MoneyRangeFilter,
    description: options.description,
    toSql: (value, t) => moneyRangeFilterSql(columnSql(amount, t.alias), columnSql(currency, t.alias), value, t.path),
  }),
  /** Records having all of the given tags (global ids). Needs the record type's `tags` pivot. */
  tags: (options: Described = {}): FilterKind<string[]> => ({
    graphqlType: () => [ID],
    description: options.description ?? 'Records having all of these tags.',
    toSql: (value, t) => {
      if (!value.length) return [];
      if (!t.tagPivot) throw new Error(`${t.typeName} has a tags filter but no tags pivot`);
      const tagIds = [...new Set(value.map((tag, i) => expectGlobalId(tag, 'Tag', `${t.path}.${i}`)))];
      const { table, column } = t.tagPivot;
      return [
        sql`(select count(*) from ${raw(table)} tp where tp.${raw(column)} = ${raw(t.alias)}.id and tp.tag_id in (${Sql.join(
          tagIds.map((id) => sql`${id}`),
          ', ',
        )})) = ${tagIds.length}`,
      ];
    },
  }),
  /** Conditions on the record type's custom fields, each compared with its definition's type. */
  customFields: (options: Described = {}): FilterKind<CustomFieldFilter[]> => ({
    graphqlType: () => [CustomFieldFilter],
    description: options.description,
    toSql: async (value, t) => (value.length ? customFilterSql(await definitionsFor(t.ctx, t.typeName), t.alias, value) : []),
  }),
  /**
   * Free text: substring or trigram similarity against `text` (an expression over the alias, which may depend on
   * the caller, e.g. leaving out hidden fields). `fold` normalises the query the way the text was folded.
   */
  query: (
    text: (ctx: RequestContext, alias: string) => string,
    options: Described & { fold?: (query: string) => string; maxLength?: number } = {},
  ): FilterKind<string> => ({
    graphqlType: () => String,
    description: options.description ?? 'Free text: substring or similar.',
    toSql: (value, t) => {
      const q = (options.fold ?? ((s: string) => s.trim().toLowerCase()))(value);
      if (q.length > (options.maxLength ?? 200)) throw InputRejected.one(t.path, `must be at most ${options.maxLength ?? 200} characters`);
      if (!q) return [];
      const expr = raw(text(t.ctx, t.alias));
      return [sql`(${expr} ilike ${`%${likeEscape(q)}%`} or ${expr} % ${q})`];
    },
  }),
  /** A filter key of any shape: its GraphQL input type and the conditions a value adds. */
  custom: <Value>(graphqlType: () => unknown, toSql: FilterKind<Value>['toSql'], options: Described = {}): FilterKind<Value> => ({
    graphqlType,
    description: options.description,
    toSql,
  }),
};

/** One value of a record type's sort enum: the SQL keys it orders by. */
export interface SortKind {
  exprs: (alias: string) => string[];
  /** False for keys that are never null, so the order matches a plain b-tree index. */
  nullable: boolean;
  description?: string;
}

export const sortOn = {
  column: (column: Column, options: { nullable?: boolean; description?: string } = {}): SortKind => ({
    exprs: (alias) => [columnSql(column, alias)],
    nullable: options.nullable ?? true,
    description: options.description,
  }),
  /** Case-insensitive order of a text column. */
  lower: (column: Column, options: { nullable?: boolean; description?: string } = {}): SortKind => ({
    exprs: (alias) => [`lower(${columnSql(column, alias)})`],
    nullable: options.nullable ?? true,
    description: options.description,
  }),
  /** Several keys, e.g. last name then first name. */
  keys: (exprs: (alias: string) => string[], options: { nullable?: boolean; description?: string } = {}): SortKind => ({
    exprs,
    nullable: options.nullable ?? true,
    description: options.description,
  }),
};
