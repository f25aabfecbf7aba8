import { Field, Float, ID, InputType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Sql, sql, raw, likeEscape } from '../../db/sql.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { currencyCode, parseInput } from './validation.js';

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

@InputType({ description: 'Conditions on a text field; all given conditions must hold.' })
export class StringFilter {
  @Field(() => String, { nullable: true }) eq?: string;
  @Field(() => String, { nullable: true }) ne?: string;
  @Field(() => [String], { nullable: true }) in?: string[];
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring.' }) contains?: string;
  @Field(() => String, { nullable: true, description: 'Case-insensitive prefix.' }) startsWith?: string;
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

@InputType()
export class IntFilter {
  @Field(() => Float, { nullable: true }) eq?: number;
  @Field(() => Float, { nullable: true }) ne?: number;
  @Field(() => Float, { nullable: true }) gt?: number;
  @Field(() => Float, { nullable: true }) gte?: number;
  @Field(() => Float, { nullable: true }) lt?: number;
  @Field(() => Float, { nullable: true }) lte?: number;
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

@InputType()
export class DateTimeFilter {
  @Field(() => Date, { nullable: true }) gt?: Date;
  @Field(() => Date, { nullable: true }) gte?: Date;
  @Field(() => Date, { nullable: true }) lt?: Date;
  @Field(() => Date, { nullable: true }) lte?: Date;
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

@InputType({ description: 'Conditions on a reference; ids are global ids.' })
export class IdFilter {
  @Field(() => ID, { nullable: true }) eq?: string;
  @Field(() => [ID], { nullable: true }) in?: string[];
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

@InputType({ description: "Conditions on a custom field, by its key. Values are compared with the field's type." })
export class CustomFieldFilter {
  @Field(() => String) key!: string;
  @Field(() => GraphQLJSON, { nullable: true }) eq?: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) ne?: unknown;
  @Field(() => [GraphQLJSON], { nullable: true }) in?: unknown[];
  @Field(() => GraphQLJSON, { nullable: true }) gt?: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) gte?: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) lt?: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) lte?: unknown;
  @Field(() => String, { nullable: true, description: 'Text: case-insensitive substring. Multi-select: holds this option.' })
  contains?: string;
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

export function stringFilterSql(expr: string, f: StringFilter | undefined | null): Sql[] {
  if (!f) return [];
  const e = raw(expr);
  const out: Sql[] = [];
  if (f.eq != null) out.push(sql`${e} = ${f.eq}`);
  if (f.ne != null) out.push(sql`${e} is distinct from ${f.ne}`);
  if (f.in)
    out.push(
      f.in.length
        ? sql`${e} in (${Sql.join(
            f.in.map((v) => sql`${v}`),
            ', ',
          )})`
        : sql`false`,
    );
  if (f.contains != null) out.push(sql`${e} ilike ${`%${likeEscape(f.contains)}%`}`);
  if (f.startsWith != null) out.push(sql`${e} ilike ${`${likeEscape(f.startsWith)}%`}`);
  if (f.isNull != null) out.push(f.isNull ? sql`${e} is null` : sql`${e} is not null`);
  return out;
}

export function numberFilterSql(expr: string, f: IntFilter | undefined | null): Sql[] {
  if (!f) return [];
  const e = raw(expr);
  const out: Sql[] = [];
  if (f.eq != null) out.push(sql`${e} = ${f.eq}`);
  if (f.ne != null) out.push(sql`${e} is distinct from ${f.ne}`);
  if (f.gt != null) out.push(sql`${e} > ${f.gt}`);
  if (f.gte != null) out.push(sql`${e} >= ${f.gte}`);
  if (f.lt != null) out.push(sql`${e} < ${f.lt}`);
  if (f.lte != null) out.push(sql`${e} <= ${f.lte}`);
  if (f.isNull != null) out.push(f.isNull ? sql`${e} is null` : sql`${e} is not null`);
  return out;
}

export function dateFilterSql(expr: string, f: DateTimeFilter | undefined | null): Sql[] {
  if (!f) return [];
  const e = raw(expr);
  const out: Sql[] = [];
  if (f.gt) out.push(sql`${e} > ${f.gt.toISOString()}`);
  if (f.gte) out.push(sql`${e} >= ${f.gte.toISOString()}`);
  if (f.lt) out.push(sql`${e} < ${f.lt.toISOString()}`);
  if (f.lte) out.push(sql`${e} <= ${f.lte.toISOString()}`);
  if (f.isNull != null) out.push(f.isNull ? sql`${e} is null` : sql`${e} is not null`);
  return out;
}

export function idFilterSql(expr: string, f: IdFilter | undefined | null, type: string, field: string): Sql[] {
  if (!f) return [];
  const e = raw(expr);
  const out: Sql[] = [];
  if (f.eq != null) out.push(sql`${e} = ${expectGlobalId(f.eq, type, `${field}.eq`)}`);
  if (f.in) {
    const ids = f.in.map((id, i) => expectGlobalId(id, type, `${field}.in.${i}`));
    out.push(
      ids.length
        ? sql`${e} in (${Sql.join(
            ids.map((v) => sql`${v}`),
            ', ',
          )})`
        : sql`false`,
    );
  }
  if (f.isNull != null) out.push(f.isNull ? sql`${e} is null` : sql`${e} is not null`);
  return out;
}

export function rejectUnknown(field: string, message: string): never {
  throw InputRejected.one(field, message, ErrorCode.BAD_USER_INPUT);
}

@InputType({ description: 'Amount range in one currency (minor units).' })
export class MoneyRangeFilter {
  @Field() currency!: string;
  @Field(() => Float, { nullable: true }) gt?: number;
  @Field(() => Float, { nullable: true }) gte?: number;
  @Field(() => Float, { nullable: true }) lt?: number;
  @Field(() => Float, { nullable: true }) lte?: number;
}

@InputType({ description: 'Date range, YYYY-MM-DD, inclusive bounds with gte/lte.' })
export class DateRangeFilter {
  @Field(() => String, { nullable: true }) gte?: string;
  @Field(() => String, { nullable: true }) lte?: string;
  @Field(() => Boolean, { nullable: true }) isNull?: boolean;
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `value` is a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(value: string): boolean {
  if (!CALENDAR_DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export function dateRangeFilterSql(expr: string, f: DateRangeFilter | undefined | null, field: string): Sql[] {
  if (!f) return [];
  const e = raw(expr);
  const out: Sql[] = [];
  for (const [op, symbol] of [
    ['gte', '>='],
    ['lte', '<='],
  ] as const) {
    const value = f[op];
    if (value == null) continue;
    if (!isCalendarDate(value)) throw InputRejected.one(`${field}.${op}`, 'must be a date such as 2026-12-31');
    out.push(sql`${e} ${raw(symbol)} ${value}::date`);
  }
  if (f.isNull != null) out.push(f.isNull ? sql`${e} is null` : sql`${e} is not null`);
  return out;
}

export function moneyRangeFilterSql(
  amountExpr: string,
  currencyExpr: string,
  f: MoneyRangeFilter | undefined | null,
  field: string,
): Sql[] {
  if (!f) return [];
  const currency = parseInput(currencyCode, f.currency, [...field.split('.'), 'currency']);
  const out: Sql[] = [sql`${raw(currencyExpr)} = ${currency}`];
  for (const [op, symbol] of [
    ['gt', '>'],
    ['gte', '>='],
    ['lt', '<'],
    ['lte', '<='],
  ] as const) {
    const value = f[op];
    if (value != null) out.push(sql`${raw(amountExpr)} ${raw(symbol)} ${value}`);
  }
  return out;
}
