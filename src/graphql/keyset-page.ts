import type { SqlEntityManager } from '@mikro-orm/sql';
import { Sql, sql, raw } from '../db/sql.js';
import { groupBy, takeColumn } from '../db/group-by.js';
import { encodeCursor, type Page, type PageRequest } from './relay.js';
import { ErrorCode, InputRejected } from './errors.js';

export interface SortKey {
  /** SQL expression over the list's alias, chosen by code. */
  expr: string;
  direction: 'ASC' | 'DESC';
  /** Declare `false` for columns that are never null: the order then matches plain b-tree indexes. */
  nullable?: boolean;
}

export interface ListQuery {
  /** `from` clause including joins, e.g. `contact c`. */
  from: string;
  /** Selected columns, e.g. `c.*`. */
  select: string;
  where: Sql;
  /** Sort keys; the id column is appended as the final tie-breaker. */
  orderBy: SortKey[];
  idExpr: string;
}

interface PreparedPage {
  keys: SortKey[];
  /** Conditions of the page: the list's filter and the cursor. */
  conditions: Sql[];
  keyColumns: string;
  order: string;
}

function preparePage(query: ListQuery, request: PageRequest): PreparedPage {
  // the id breaks ties in the direction of the last key, so `(created_at desc, id desc)` walks one index
  const tieBreak = query.orderBy.at(-1)?.direction ?? 'ASC';
  const keys: SortKey[] = [...query.orderBy, { expr: query.idExpr, direction: tieBreak, nullable: false }];
  const effective: EffectiveKey[] = keys.map((k) => ({
    expr: k.expr,
    // backward pages read the reverse order, then flip the rows
    ascending: (k.direction === 'ASC') !== request.backward,
    nullable: k.nullable !== false,
    nullsFirst: request.backward,
  }));
  const conditions: Sql[] = [query.where];
  if (request.cursor) {
    if (request.cursor.length !== keys.length || request.cursor.some((v) => v !== null && typeof v !== 'string')) {
      throw InputRejected.one(
        request.backward ? 'before' : 'after',
        'cursor does not match this list and orderBy',
        ErrorCode.BAD_USER_INPUT,
      );
    }
    conditions.push(after(effective, request.cursor as (string | null)[]));
  }
  return {
    keys,
    conditions,
    keyColumns: keys.map((k, i) => `(${k.expr})::text as "_k${i}"`).join(', '),
    order: effective
      .map((k) => `${k.expr} ${k.ascending ? 'asc' : 'desc'}${k.nullable ? ` nulls ${k.nullsFirst ? 'first' : 'last'}` : ''}`)
      .join(', '),
  };
}

function toPage<T>(
  rows: Record<string, unknown>[],
  prepared: PreparedPage,
  request: PageRequest,
  mapRow: (row: Record<string, unknown>) => T,
  count: () => Promise<number>,
): Page<T> {
  const { keys } = prepared;
  const hasMore = rows.length > request.limit;
  const pageRows = rows.slice(0, request.limit);
  if (request.backward) pageRows.reverse();
  const cursors = pageRows.map((row) => encodeCursor(keys.map((_, i) => row[`_k${i}`] ?? null)));
  const nodes = pageRows.map((row) => {
    for (let i = 0; i < keys.length; i++) delete row[`_k${i}`];
    return mapRow(row);
  });
  return {
    nodes,
    cursors,
    pageInfo: {
      hasNextPage: request.backward ? request.cursor !== null : hasMore,
      hasPreviousPage: request.backward ? hasMore : request.cursor !== null,
      startCursor: cursors[0] ?? null,
      endCursor: cursors.at(-1) ?? null,
    },
    count,
  };
}

/**
 * Keyset pagination over any list: stable under inserts, O(page) at any depth. Sort values travel in the
 * cursor as text so timestamps keep their microseconds; nulls sort last in both directions.
 */
export async function keysetPage<T>(
  em: SqlEntityManager,
  query: ListQuery,
  request: PageRequest,
  mapRow: (row: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const prepared = preparePage(query, request);
  const statement = sql`select ${raw(query.select)}, ${raw(prepared.keyColumns)} from ${raw(query.from)} where ${Sql.and(prepared.conditions)} order by ${raw(prepared.order)} limit ${request.limit + 1}`;
  const rows = request.limit === 0 ? [] : await execute(em, statement, request);
  let total: Promise<number> | undefined;
  return toPage(
    rows,
    prepared,
    request,
    mapRow,
    () =>
      (total ??= (async () => {
        const count = sql`select count(*)::int as n from ${raw(query.from)} where ${query.where}`;
        const [row] = await em.execute<{ n: number }[]>(count.text, count.params);
        return Number(row?.n ?? 0);
      })()),
  );
}

/**
 * The same page of one list for many parents (the contacts of 50 companies, the comments of 20 activities) in one
 * statement: a lateral keyset page per parent. `parentColumn` is the list's column holding the parent's uuid.
 * Counts, when asked for, come from one grouped query for all parents.
 */
export async function keysetPagesByParent<T>(
  em: SqlEntityManager,
  query: ListQuery,
  parentColumn: string,
  parentIds: readonly string[],
  request: PageRequest,
  mapRow: (row: Record<string, unknown>) => T,
): Promise<Page<T>[]> {
  const prepared = preparePage(query, request);
  const parents = `{${parentIds.join(',')}}`;
  const statement = sql`select p.parent_id::text as "_parent", r.* from unnest(cast(${parents} as uuid[])) p(parent_id) cross join lateral (
      select ${raw(query.select)}, ${raw(prepared.keyColumns)} from ${raw(query.from)}
      where ${Sql.and([...prepared.conditions, sql`${raw(parentColumn)} = p.parent_id`])} order by ${raw(prepared.order)} limit ${request.limit + 1}) r`;
  const rows = request.limit === 0 || parentIds.length === 0 ? [] : await execute(em, statement, request);
  const byParent = groupBy(rows, (row) => takeColumn(row, '_parent'));
  let counts: Promise<Map<string, number>> | undefined;
  const countAll = () =>
    (counts ??= (async () => {
      const count = sql`select ${raw(parentColumn)}::text as parent, count(*)::int as n from ${raw(query.from)} where ${query.where} and ${raw(parentColumn)} = any(cast(${parents} as uuid[])) group by 1`;
      const result = await em.execute<{ parent: string; n: number }[]>(count.text, count.params);
      return new Map(result.map((r) => [r.parent, Number(r.n)]));
    })());
  return parentIds.map((id) => toPage(byParent.get(id) ?? [], prepared, request, mapRow, async () => (await countAll()).get(id) ?? 0));
}

interface EffectiveKey {
  expr: string;
  ascending: boolean;
  nullable: boolean;
  nullsFirst: boolean;
}

/** Rows strictly after the cursor in the effective order. */
function after(keys: EffectiveKey[], values: (string | null)[]): Sql {
  const simple = keys.every((k) => !k.nullable && k.ascending === keys[0]!.ascending) && values.every((v) => v !== null);
  if (simple) {
    // one row comparison: PostgreSQL turns it into an index range
    const columns = raw(keys.map((k) => k.expr).join(', '));
    const cursor = Sql.join(
      values.map((v) => sql`${v}`),
      ', ',
    );
    return sql`(${columns}) ${raw(keys[0]!.ascending ? '>' : '<')} (${cursor})`;
  }
  return afterNullable(keys, values);
}

function afterNullable(keys: EffectiveKey[], values: (string | null)[], i = 0): Sql {
  const key = keys[i]!;
  const value = values[i]!;
  const last = i === keys.length - 1;
  const rest = last ? null : afterNullable(keys, values, i + 1);
  const e = raw(key.expr);
  if (value === null) {
    const sameThenRest = rest ? sql`${e} is null and ${rest}` : sql`false`;
    return key.nullsFirst ? Sql.or([sql`${e} is not null`, sameThenRest]) : sameThenRest;
  }
  const op = raw(key.ascending ? '>' : '<');
  const parts = [sql`${e} ${op} ${value}`];
  if (!key.nullsFirst && key.nullable) parts.push(sql`${e} is null`);
  if (rest) parts.push(sql`${e} = ${value} and ${rest}`);
  return Sql.or(parts);
}

/** A cursor is client input: values the database cannot read as the sort column's type reject the cursor. */
async function execute(em: SqlEntityManager, statement: Sql, request: PageRequest): Promise<Record<string, unknown>[]> {
  try {
    return await em.execute<Record<string, unknown>[]>(statement.text, statement.params);
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? '');
    if (request.cursor && /^22/.test(code)) {
      throw InputRejected.one(request.backward ? 'before' : 'after', 'is not a valid cursor for this list', ErrorCode.BAD_USER_INPUT);
    }
    throw error;
  }
}
