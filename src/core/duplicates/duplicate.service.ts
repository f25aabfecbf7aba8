import { readColumns, readRow } from '../../db/read-rows.js';
import { Sql, sql, raw } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { InputRejected } from '../../graphql/errors.js';
import { Company } from '../customers/company.entity.js';
import { Contact } from '../customers/contact.entity.js';
import { COMPANY } from '../customers/company.service.js';
import { CONTACT, contactNameSql } from '../customers/contact.service.js';
import { phoneDigits } from '../search/search-text.js';
import { DuplicateReason } from './duplicate.types.js';
import type DataLoader from 'dataloader';
import { canSearchOn, COMPANY_SCOPE, CONTACT_SCOPE, readable, readScopeSql } from '../customers/record-scope.js';

/** Names at least this similar (pg_trgm `similarity`) count as a duplicate signal. */
export const NAME_SIMILARITY = 0.6;
const MAX_CANDIDATES = 20;
/** Shorter phone numbers (extensions, short codes) are too ambiguous to match on. */
const MIN_PHONE_DIGITS = 6;

export interface Candidate<T> {
  record: T;
  reasons: DuplicateReason[];
  score: number;
}

const values = (items: unknown[]) =>
  Sql.join(
    items.map((v) => sql`${v}`),
    ', ',
  );

/** True when one of the record's phones has the same digits as one of `digits`. */
function samePhoneSql(alias: string, digits: string[]): Sql {
  if (!digits.length) return sql`false`;
  return sql`exists (select 1 from jsonb_array_elements(${raw(alias)}.phones) as p(value)
    where regexp_replace(p.value->>'number', '[^0-9]', '', 'g') in (${values(digits)}))`;
}

const matchableDigits = (phones: { number: string }[]) => [
  ...new Set(phones.map((p) => phoneDigits(p.number)).filter((d) => d.length >= MIN_PHONE_DIGITS)),
];

/**
 * Scores signals in SQL and returns the best candidates. `signals` are boolean columns named like the reasons;
 * `name_similarity` is a real in 0..1.
 */
async function rankCandidates<T extends object>(
  ctx: RequestContext,
  entity: new () => T,
  select: string,
  from: string,
  where: Sql,
  signals: Partial<Record<DuplicateReason, Sql>>,
  nameSimilarity: Sql,
): Promise<Candidate<T>[]> {
  const signalColumns = Object.entries(signals).map(([reason, cond]) => sql`(${cond}) as ${raw(`"${reason}"`)}`);
  const weights: Record<DuplicateReason, number> = {
    [DuplicateReason.SAME_EMAIL]: 0.6,
    [DuplicateReason.SAME_DOMAIN]: 0.5,
    [DuplicateReason.SAME_PHONE]: 0.3,
    [DuplicateReason.SIMILAR_NAME]: 0.4,
  };
  const signalScore = Object.keys(signals)
    .map((reason) => `case when d."${reason}" then ${weights[reason as DuplicateReason]} else 0 end`)
    .join(' + ');
  const anySignal = [...Object.keys(signals).map((r) => `d."${r}"`), `d.name_similarity >= ${NAME_SIMILARITY}`].join(' or ');
  const statement = sql`select * from (
      select ${raw(select)}, ${Sql.join(signalColumns, ', ')}, (${nameSimilarity})::float8 as name_similarity from ${raw(from)} where ${where}
    ) d
    cross join lateral (select least(1.0, ${raw(signalScore || '0')}
      + case when d.name_similarity >= ${raw(String(NAME_SIMILARITY))} then ${raw(String(weights.SIMILAR_NAME))} * d.name_similarity else 0 end)::float8 as score) s
    where ${raw(anySignal)}
    order by s.score desc, d.created_at asc, d.id asc
    limit ${MAX_CANDIDATES}`;
  const rows = await ctx.em.execute<Record<string, unknown>[]>(statement.text, statement.params);
  return rows.map((row) => {
    const reasons = (Object.keys(signals) as DuplicateReason[]).filter((r) => row[r] === true);
    if (Number(row.name_similarity) >= NAME_SIMILARITY) reasons.push(DuplicateReason.SIMILAR_NAME);
    const score = Math.round(Number(row.score) * 1000) / 1000;
    for (const key of [...Object.keys(signals), 'name_similarity', 'score']) delete row[key];
    return { record: readRow(ctx.em, entity, row), reasons, score };
  });
}

/** Live contacts that look like the given one: a shared email or phone, or a similar name. */
export async function contactDuplicates(ctx: RequestContext, globalId: string): Promise<Candidate<Contact>[]> {
  const workspaceId = workspaceOf(ctx);
  const id = expectGlobalId(globalId, CONTACT, 'id');
  // the contact compared must be readable, and so must every candidate
  const contact = await readable(ctx, 'Contact').load(id);
  if (!contact || contact.deletedAt) return [];
  const emails = contact.emails.map((e) => e.email);
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ').toLowerCase();
  return rankCandidates(
    ctx,
    Contact,
    readColumns(ctx.em, Contact, 'c'),
    'contact c',
    sql`c.workspace_id = ${workspaceId} and c.deleted_at is null and c.id <> ${id} and ${readScopeSql(ctx, CONTACT_SCOPE, 'c')}`,
    {
      // signals on fields hidden from the caller are not used (they would reveal the hidden values)
      [DuplicateReason.SAME_EMAIL]:
        emails.length && canSearchOn(ctx, CONTACT, 'email')
          ? Sql.or(emails.map((e) => sql`c.emails @> ${JSON.stringify([{ email: e }])}::jsonb`))
          : sql`false`,
      [DuplicateReason.SAME_PHONE]: canSearchOn(ctx, CONTACT, 'phone') ? samePhoneSql('c', matchableDigits(contact.phones)) : sql`false`,
    },
    name ? sql`similarity(lower(${raw(contactNameSql('c'))}), ${name})` : sql`0`,
  );
}

/** Live companies that look like the given one: a shared domain or phone, or a similar name. */
export async function companyDuplicates(ctx: RequestContext, globalId: string): Promise<Candidate<Company>[]> {
  const workspaceId = workspaceOf(ctx);
  const id = expectGlobalId(globalId, COMPANY, 'id');
  const company = await readable(ctx, 'Company').load(id);
  if (!company || company.deletedAt) return [];
  return rankCandidates(
    ctx,
    Company,
    readColumns(ctx.em, Company, 'c'),
    'company c',
    sql`c.workspace_id = ${workspaceId} and c.deleted_at is null and c.id <> ${id} and ${readScopeSql(ctx, COMPANY_SCOPE, 'c')}`,
    {
      [DuplicateReason.SAME_DOMAIN]: company.domains.length ? sql`c.domains && array[${values(company.domains)}]::text[]` : sql`false`,
      [DuplicateReason.SAME_PHONE]: canSearchOn(ctx, COMPANY, 'phone') ? samePhoneSql('c', matchableDigits(company.phones)) : sql`false`,
    },
    sql`similarity(lower(c.name), ${company.name.toLowerCase()})`,
  );
}

const MAX_GROUPS = 100;
const phoneKeySql = (alias: string) => `regexp_replace(${alias}.value->>'number', '[^0-9]', '', 'g')`;

/** Ids sharing one key, per signal, as SQL (exact matches only: they use plain grouping, no pairwise scan). */
function sharedKeySql(ctx: RequestContext, table: 'contact' | 'company', workspaceId: string): Sql {
  // only records in the caller's read scope are grouped (and only those are loaded)
  const scope = readScopeSql(ctx, table === 'contact' ? CONTACT_SCOPE : COMPANY_SCOPE, 'c');
  const live = sql`c.workspace_id = ${workspaceId} and c.deleted_at is null and ${scope}`;
  const byPhone = sql`select ${DuplicateReason.SAME_PHONE} as reason, string_agg(distinct c.id::text, ',') as ids
    from ${raw(table)} c cross join lateral jsonb_array_elements(c.phones) as p(value)
    where ${live} and length(${raw(phoneKeySql('p'))}) >= ${MIN_PHONE_DIGITS}
    group by ${raw(phoneKeySql('p'))} having count(distinct c.id) > 1`;
  const byKey =
    table === 'contact'
      ? sql`select ${DuplicateReason.SAME_EMAIL} as reason, string_agg(distinct c.id::text, ',') as ids
          from contact c cross join lateral jsonb_array_elements(c.emails) as e(value)
          where ${live} group by e.value->>'email' having count(distinct c.id) > 1`
      : sql`select ${DuplicateReason.SAME_DOMAIN} as reason, string_agg(distinct c.id::text, ',') as ids
          from company c cross join lateral unnest(c.domains) as d(domain)
          where ${live} group by d.domain having count(distinct c.id) > 1`;
  const type = table === 'contact' ? CONTACT : COMPANY;
  // keys on fields hidden from the caller are not grouped on (they would reveal the hidden values)
  const parts = [
    ...(table === 'company' || canSearchOn(ctx, type, 'email') ? [byKey] : []),
    ...(canSearchOn(ctx, type, 'phone') ? [byPhone] : []),
  ];
  return parts.length ? Sql.join(parts, ' union all ') : sql`select null::text as reason, null::text as ids where false`;
}

/**
 * Groups of live records that share an email (contacts), a domain (companies) or a phone number, largest first.
 * Records linked through different keys end up in one group.
 */
export async function duplicateGroups<T extends { id: string; createdAt: Date }>(
  ctx: RequestContext,
  _entity: new () => T, // only types the records
  table: 'contact' | 'company',
  first: number | null | undefined,
): Promise<{ records: T[]; reasons: DuplicateReason[] }[]> {
  const limit = first ?? 20;
  if (limit < 0 || limit > MAX_GROUPS) throw InputRejected.one('first', `must be between 0 and ${MAX_GROUPS}`);
  const statement = sharedKeySql(ctx, table, workspaceOf(ctx));
  const rows = await ctx.em.execute<{ reason: DuplicateReason; ids: string }[]>(statement.text, statement.params);
  // union-find over records that share any key
  const parent = new Map<string, string>();
  const root = (id: string): string => {
    let r = id;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(id, r);
    return r;
  };
  const links = rows.map((row) => ({ reason: row.reason, ids: row.ids.split(',') }));
  for (const { ids } of links) {
    for (const id of ids) if (!parent.has(id)) parent.set(id, id);
    for (const id of ids.slice(1)) parent.set(root(id), root(ids[0]!));
  }
  const groups = new Map<string, { ids: Set<string>; reasons: Set<DuplicateReason> }>();
  for (const { reason, ids } of links) {
    const key = root(ids[0]!);
    const group = groups.get(key) ?? { ids: new Set<string>(), reasons: new Set<DuplicateReason>() };
    for (const id of ids) group.ids.add(id);
    group.reasons.add(reason);
    groups.set(key, group);
  }
  const chosen = [...groups.values()]
    .sort((a, b) => b.ids.size - a.ids.size || [...a.ids].sort()[0]!.localeCompare([...b.ids].sort()[0]!))
    .slice(0, limit);
  const loader = readable(ctx, table === 'contact' ? 'Contact' : 'Company') as unknown as DataLoader<string, T | null>;
  return Promise.all(
    chosen.map(async (g) => ({
      records: ((await loader.loadMany([...g.ids])) as (T | null | Error)[])
        .filter((r): r is T => !!r && !(r instanceof Error))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id)),
      reasons: [...g.reasons].sort(),
    })),
  );
}
