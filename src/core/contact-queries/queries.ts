import { Sql, raw, sql } from '../../db/sql.js';
import { readRow } from '../../db/read-rows.js';
import type { RequestContext } from '../../graphql/context.js';
import { InputRejected } from '../../graphql/errors.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { pageRequest, type ConnectionArgs, type Page } from '../../graphql/relay.js';
import { Contact } from '../customers/contact.entity.js';
import { contacts, type ContactOrder } from '../customers/contact.records.js';
import { rulesSql } from './condition-sql.js';
import type { CompiledContactRules } from './validate.js';

/**
 * The queries of a segment: one SQL statement each, over the live contacts of the workspace the caller's contact read
 * scope reaches (an `actAs(context, null, …)` context: all of them), trashed and merged contacts never.
 */

const ALIAS = 'c';
const MAX_IDS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ContactQueryOptions {
  /** "Now" for "in the last N days" rules (default: the wall clock). */
  now?: Date;
}

/** `from contact c` with the joins the rules read, and the workspace, the caller's read scope, live rows and the rules. */
async function matching(ctx: RequestContext, compiled: CompiledContactRules, now: Date): Promise<{ from: Sql; where: Sql }> {
  const rules = await rulesSql(ctx, compiled, ALIAS, now);
  return {
    from: raw(`contact ${ALIAS}${rules.joins ? ` ${rules.joins}` : ''}`),
    where: Sql.and([await contacts.where(ctx, null, ALIAS), rules.condition]),
  };
}

/** How many contacts match. */
export async function countContacts(
  ctx: RequestContext,
  compiled: CompiledContactRules,
  options: ContactQueryOptions = {},
): Promise<number> {
  const { from, where } = await matching(ctx, compiled, options.now ?? new Date());
  const q = sql`select count(*)::int as n from ${from} where ${where}`;
  const [row] = await ctx.em.execute<{ n: number }[]>(q.text, q.params);
  return Number(row?.n ?? 0);
}

export interface ContactIdsOptions extends ContactQueryOptions {
  /** Only these contacts (uuids): re-evaluating the handful an event touched. */
  among?: readonly string[];
  /** Ids after this one (uuid), for walking a large segment in batches. */
  after?: string;
  /** At most this many (default and maximum 10,000). */
  limit?: number;
}

/** The ids (uuids) of matching contacts, in id order. */
export async function contactIdsMatching(
  ctx: RequestContext,
  compiled: CompiledContactRules,
  options: ContactIdsOptions = {},
): Promise<string[]> {
  if (options.among && options.among.length === 0) return [];
  if (options.after !== undefined && !UUID.test(options.after)) throw InputRejected.one('after', 'a contact id (uuid)');
  const { from, where } = await matching(ctx, compiled, options.now ?? new Date());
  const parts = [where];
  if (options.among)
    parts.push(
      sql`${raw(ALIAS)}.id::text in (${Sql.join(
        options.among.map((id) => sql`${id}`),
        ', ',
      )})`,
    );
  if (options.after) parts.push(sql`${raw(ALIAS)}.id > ${options.after}::uuid`);
  const limit = Math.max(0, Math.min(options.limit ?? MAX_IDS, MAX_IDS));
  const q = sql`select ${raw(ALIAS)}.id from ${from} where ${Sql.and(parts)} order by ${raw(ALIAS)}.id limit ${limit}`;
  return (await ctx.em.execute<{ id: string }[]>(q.text, q.params)).map((r) => String(r.id));
}

/**
 * A keyset page of matching contacts, ordered like the `contacts` list (`orderBy`, default newest first): what
 * `toConnection` turns into a `ContactConnection`.
 */
export async function contactsMatching(
  ctx: RequestContext,
  compiled: CompiledContactRules,
  args: ConnectionArgs,
  options: ContactQueryOptions & { orderBy?: ContactOrder[] | null } = {},
): Promise<Page<Contact>> {
  const query = await contacts.listQuery(ctx, null, options.orderBy);
  const rules = await rulesSql(ctx, compiled, ALIAS, options.now ?? new Date());
  const from = rules.joins ? `${query.from} ${rules.joins}` : query.from;
  return keysetPage(ctx.em, { ...query, from, where: Sql.and([query.where, rules.condition]) }, pageRequest(args), (row) =>
    readRow(ctx.em, Contact, row),
  );
}
