import type { SqlEntityManager } from '@mikro-orm/sql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { likeEscape, raw, Sql, sql, type SqlRow } from '../../db/sql.js';
import { recordAuditAs } from '../audit/audit-log.js';
import { emitEvent } from '../../events/emit.js';
import { contactPersonalDataErased } from '../../events/kernel-events.js';
import { phoneDigits } from '../search/search-text.js';
import { ErasureMode, privacyHandlersOf, type PrivacySubject } from './privacy-provider.js';
import { suppressEmails } from './suppression.js';

const CONTACT = 'Contact';
/** Tables the generic sweep leaves alone: handled on their own (contact, audit_log) or holding no value (the privacy tables). */
const NOT_SWEPT = new Set(['contact', 'audit_log', 'email_suppression', 'privacy_erasure']);
/** Contact fields whose values audit entries about the person lose whatever they were. */
const PERSONAL_FIELDS = ['firstName', 'lastName', 'emails', 'primaryEmail', 'phones', 'address', 'jobTitle', 'customFields', 'searchText'];

const regexEscape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A text[] of `values`, passed as one JSON parameter (both drivers bind it the same way). */
const jsonArray = (values: readonly string[]) => sql`array(select jsonb_array_elements_text(cast(${JSON.stringify(values)} as jsonb)))`;
const idList = (ids: readonly string[]) =>
  Sql.join(
    ids.map((id) => sql`${id}`),
    ', ',
  );

const likePatterns = (values: readonly string[]) => values.map((v) => `%${likeEscape(v)}%`);

interface SubjectRow extends SqlRow {
  id: string;
  first_name: string | null;
  last_name: string | null;
  emails: { email: string }[];
  phones: { number: string }[];
  address: { street?: string | null; postalCode?: string | null } | null;
}

/** What identifies the person in free text: names as words, addresses, phone numbers as typed and as digits, street and postcode. */
function patternsOf(rows: SubjectRow[]): string[] {
  const patterns = new Set<string>();
  for (const row of rows) {
    for (const name of [row.first_name, row.last_name])
      if (name && name.trim().length >= 2) patterns.add(`\\m${regexEscape(name.trim())}\\M`);
    for (const { email } of row.emails ?? []) patterns.add(regexEscape(email));
    for (const { number } of row.phones ?? []) {
      patterns.add(regexEscape(number));
      if (phoneDigits(number).length >= 6) patterns.add(regexEscape(phoneDigits(number)));
    }
    for (const part of [row.address?.street, row.address?.postalCode])
      if (part && part.trim().length >= 4) patterns.add(regexEscape(part.trim()));
  }
  // longest first: a full number before its digits
  return [...patterns].sort((a, b) => b.length - a.length);
}

export interface LoadedSubject extends PrivacySubject {
  rows: SubjectRow[];
  patterns: string[];
  /** ILIKE patterns: a row mentioning one of them is about the person. */
  links: string[];
  /** Ids plugins named with `relate`. */
  related: string[];
}

async function execute(em: SqlEntityManager, q: Sql): Promise<number> {
  const result = await em.execute<{ affectedRows?: number }>(q.text, q.params, 'run');
  return Number(result?.affectedRows ?? 0);
}

/** The scrub expression of one column by its type. */
function scrubExpr(column: string, type: string, maxLength: number | null, patterns: Sql): Sql {
  const c = raw(`"${column}"`);
  if (type === 'jsonb') return sql`crm_privacy.scrub_jsonb(${c}, ${patterns})`;
  if (type === 'json') return sql`crm_privacy.scrub_jsonb(${c}::jsonb, ${patterns})::json`;
  if (type === 'array')
    return sql`case when ${c} is null then null else array(select crm_privacy.scrub_text(x, ${patterns}) from unnest(${c}) as x) end`;
  if (maxLength) return sql`left(crm_privacy.scrub_text(${c}, ${patterns}), ${maxLength})`;
  return sql`crm_privacy.scrub_text(${c}, ${patterns})`;
}

interface TextColumn {
  table: string;
  column: string;
  type: string;
  maxLength: number | null;
}

async function textColumns(em: SqlEntityManager, table?: string): Promise<TextColumn[]> {
  const rows = await em.execute<SqlRow[]>(
    `select c.table_name, c.column_name, c.data_type, c.udt_name, c.character_maximum_length
       from information_schema.columns c join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
        and (c.data_type in ('text', 'character varying', 'json', 'jsonb', 'uuid') or (c.data_type = 'ARRAY' and c.udt_name in ('_text', '_varchar', '_uuid')))
        and (cast(? as text) is null or c.table_name = ?)
        and exists (select 1 from information_schema.columns w where w.table_schema = c.table_schema and w.table_name = c.table_name and w.column_name = 'workspace_id')
      order by c.table_name, c.ordinal_position`,
    [table ?? null, table ?? null],
  );
  return rows.map((r) => ({
    table: r.table_name,
    column: r.column_name,
    type:
      r.udt_name === 'uuid' || r.udt_name === '_uuid'
        ? 'uuid'
        : r.data_type === 'ARRAY'
          ? 'array'
          : r.data_type === 'character varying'
            ? 'varchar'
            : r.data_type,
    maxLength: r.character_maximum_length == null ? null : Number(r.character_maximum_length),
  }));
}

function makeScrub(ctx: RequestContext, patterns: string[]): PrivacySubject['scrub'] {
  return async (table, columns, where) => {
    if (!patterns.length || !columns.length) return 0;
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`scrub: "${table}" is not a plain table name`);
    const known = (await textColumns(ctx.em, table)).filter((c) => c.type !== 'uuid' && columns.includes(c.column));
    if (known.length !== columns.length) throw new Error(`scrub: ${table} has no text column among ${columns.join(', ')}`);
    const p = jsonArray(patterns);
    const sets = known.map((c) => sql`${raw(`"${c.column}"`)} = ${scrubExpr(c.column, c.type, c.maxLength, p)}`);
    return execute(
      ctx.em,
      sql`update ${raw(`"${table}"`)} set ${Sql.join(sets, ', ')} where workspace_id = ${workspaceOf(ctx)} and (${where})`,
    );
  };
}

const before = (changes: Record<string, { before?: unknown }>, field: string) => {
  const value = changes[field]?.before;
  return value === ERASED ? null : value;
};
const ERASED = '[erased]';

/** A purged contact's identifying values, from its `contact.purged` audit entry (`erasedFields`). */
async function purgedContact(ctx: RequestContext, workspaceId: string, id: string): Promise<SubjectRow | null> {
  const [entry] = await ctx.em.execute<SqlRow[]>(
    `select changes from audit_log where workspace_id = ? and object_type = 'Contact' and object_id = ? and action = 'contact.purged' order by occurred_at desc limit 1`,
    [workspaceId, id],
  );
  if (!entry) return null;
  const changes = (typeof entry.changes === 'string' ? JSON.parse(entry.changes) : (entry.changes ?? {})) as Record<
    string,
    { before?: unknown }
  >;
  const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
  return {
    id,
    first_name: (before(changes, 'firstName') as string | null) ?? null,
    last_name: (before(changes, 'lastName') as string | null) ?? null,
    emails: list<{ email: string }>(before(changes, 'emails')).filter((e) => typeof e?.email === 'string'),
    phones: list<{ number: string }>(before(changes, 'phones')).filter((p) => typeof p?.number === 'string'),
    address: (before(changes, 'address') as SubjectRow['address']) ?? null,
  };
}

/**
 * The contact a privacy request names, with the contacts merged into it. Unknown, another workspace's (row-level
 * security and the workspace condition): NOT_FOUND; not a contact id: BAD_USER_INPUT. With a `mode`: already erased that
 * way (or deleted) is a CONFLICT.
 */
export async function loadSubject(ctx: RequestContext, globalId: string, mode?: ErasureMode): Promise<LoadedSubject> {
  const workspaceId = workspaceOf(ctx);
  const id = expectGlobalId(globalId, CONTACT, 'contactId');
  if (mode) {
    const [erased] = await ctx.em.execute<SqlRow[]>(
      'select mode from privacy_erasure where workspace_id = ? and contact_id = ? order by erased_at desc limit 1',
      [workspaceId, id],
    );
    if (erased && (erased.mode === ErasureMode.DELETE || mode === ErasureMode.ANONYMIZE))
      throw InputRejected.one('contactId', `this contact's personal data was already erased (${erased.mode})`, ErrorCode.CONFLICT);
  }
  const rows = await ctx.em.execute<SubjectRow[]>(
    `with recursive subject(id) as (
       select id from contact where workspace_id = ? and id = ?
       union select c.id from contact c join subject s on c.merged_into_id = s.id where c.workspace_id = ?)
     select c.* from contact c join subject s on s.id = c.id where c.workspace_id = ?`,
    [workspaceId, id, workspaceId, workspaceId],
  );
  if (!rows.some((r) => r.id === id)) {
    // a purged contact is gone, but its purge entry in the audit log still holds its values: those can be erased
    const purged = mode ? await purgedContact(ctx, workspaceId, id) : null;
    if (!purged) throw InputRejected.one('contactId', 'contact not found in this workspace', ErrorCode.NOT_FOUND);
    rows.push(purged);
  }
  const contactIds = [id, ...rows.map((r) => r.id).filter((r) => r !== id)];
  const emails = [...new Set(rows.flatMap((r) => (r.emails ?? []).map((e) => e.email.trim().toLowerCase())))];
  const patterns = patternsOf(rows);
  const related: string[] = [];
  return {
    contactId: id,
    contactIds,
    emails,
    rows,
    patterns,
    links: likePatterns([...contactIds, ...contactIds.map((c) => toGlobalId(CONTACT, c)), ...emails]),
    scrub: makeScrub(ctx, patterns),
    related,
    relate: (recordIds) => {
      related.push(...recordIds.filter((r) => typeof r === 'string' && r));
    },
  };
}

async function linkedEntries(em: SqlEntityManager, workspaceId: string, s: LoadedSubject, kind: 'activity' | 'event') {
  const rows = await em.execute<SqlRow[]>(
    `select l.entry_id, bool_and(l.target_type = 'Contact' and l.target_id in (${s.contactIds.map(() => '?').join(', ')})) as only_theirs
       from timeline_link l
      where l.workspace_id = ? and l.entry_kind = ? and l.entry_id in (
        select entry_id from timeline_link where workspace_id = ? and target_type = 'Contact' and target_id in (${s.contactIds.map(() => '?').join(', ')}))
      group by l.entry_id`,
    [...s.contactIds, workspaceId, kind, workspaceId, ...s.contactIds],
  );
  return {
    all: rows.map((r) => r.entry_id as string),
    onlyTheirs: rows.filter((r) => r.only_theirs === true || r.only_theirs === 't').map((r) => r.entry_id as string),
  };
}

/** Every other table of the workspace: rows that mention the person (ids, addresses) lose their identifying values. */
async function sweep(ctx: RequestContext, s: LoadedSubject, links: string[], sections: Record<string, number>): Promise<void> {
  if (!s.patterns.length) return;
  const columns = (await textColumns(ctx.em)).filter((c) => !NOT_SWEPT.has(c.table));
  const byTable = new Map<string, TextColumn[]>();
  for (const c of columns) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c]);
  const p = jsonArray(s.patterns);
  const linked = jsonArray(links);
  for (const [table, cols] of byTable) {
    // uuid columns only tie a row to the person (a record_id, a contact_id); text columns are scrubbed
    const sets = cols
      .filter((c) => c.type !== 'uuid')
      .map((c) => sql`${raw(`"${c.column}"`)} = ${scrubExpr(c.column, c.type, c.maxLength, p)}`);
    if (!sets.length) continue;
    const mentions = cols.map((c) => sql`${raw(`"${c.column}"`)}::text ilike any(${linked})`);
    const changed = await execute(
      ctx.em,
      sql`update ${raw(`"${table}"`)} set ${Sql.join(sets, ', ')} where workspace_id = ${workspaceOf(ctx)} and (${Sql.or(mentions)})`,
    );
    if (changed) sections[`mentions:${table}`] = (sections[`mentions:${table}`] ?? 0) + changed;
  }
}

async function redactAudit(ctx: RequestContext, s: LoadedSubject, links: string[]): Promise<number> {
  const q = sql`select crm_privacy.redact_audit(${workspaceOf(ctx)}, ${jsonArray(links)}, ${jsonArray(s.contactIds)}, ${jsonArray(PERSONAL_FIELDS)}, ${jsonArray(s.patterns)}) as n`;
  const [row] = await ctx.em.execute<SqlRow[]>(q.text, q.params);
  return Number(row?.n ?? 0);
}

export interface ErasureResult {
  contactId: string;
  mode: ErasureMode;
  erasedAt: Date;
  sections: Record<string, number>;
}

/**
 * Erases one contact's personal data in one transaction (the caller's: `runMutation`), kernel first, then every
 * installed plugin, then every other table that mentions the person, then the audit log's values; the addresses go to
 * the suppression list. Writes are plain SQL: nothing is flushed, so no audit entry or domain event repeats the values.
 */
export async function erasePersonalData(ctx: RequestContext, globalId: string, mode: ErasureMode): Promise<ErasureResult> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const s = await loadSubject(ctx, globalId, mode);
  const sections: Record<string, number> = {};
  const count = (key: string, n: number) => {
    if (n) sections[key] = (sections[key] ?? 0) + n;
  };
  const ids = idList(s.contactIds);
  const activities = await linkedEntries(em, workspaceId, s, 'activity');
  const events = await linkedEntries(em, workspaceId, s, 'event');
  const emailMessages = sql`workspace_id = ${workspaceId} and (contact_id in (${ids}) or lower(to_address) in (select jsonb_array_elements_text(cast(${JSON.stringify(s.emails)} as jsonb))))`;
  const runs = sql`record_type = 'Contact' and record_id in (${ids})`;
  const messageIds = (await em.execute<SqlRow[]>(`select id from email_message where ${emailMessages.text}`, emailMessages.params)).map(
    (r) => r.id as string,
  );

  // plugins first: their rows may point at the contact (DELETE removes it below)
  for (const { plugin, handler } of privacyHandlersOf(em)) {
    const erased = mode === ErasureMode.DELETE ? await handler.delete(ctx, s) : await handler.anonymize(ctx, s);
    count(
      `plugin:${plugin}`,
      Object.values(erased).reduce((sum, n) => sum + n, 0),
    );
  }

  if (mode === ErasureMode.DELETE) {
    const only = activities.onlyTheirs;
    const shared = activities.all.filter((a) => !only.includes(a));
    if (only.length) {
      count(
        'comments',
        await execute(em, sql`delete from comment where workspace_id = ${workspaceId} and activity_id in (${idList(only)})`),
      );
      await execute(em, sql`delete from timeline_link where workspace_id = ${workspaceId} and entry_id in (${idList(only)})`);
      count('activities', await execute(em, sql`delete from activity where workspace_id = ${workspaceId} and id in (${idList(only)})`));
    }
    if (shared.length) {
      count('activities', await s.scrub('activity', ['subject', 'body'], sql`id in (${idList(shared)})`));
      count('comments', await s.scrub('comment', ['body'], sql`activity_id in (${idList(shared)})`));
    }
    const onlyEvents = events.onlyTheirs;
    const sharedEvents = events.all.filter((e) => !onlyEvents.includes(e));
    if (onlyEvents.length) {
      await execute(em, sql`delete from timeline_link where workspace_id = ${workspaceId} and entry_id in (${idList(onlyEvents)})`);
      count(
        'timelineEvents',
        await execute(em, sql`delete from timeline_event where workspace_id = ${workspaceId} and id in (${idList(onlyEvents)})`),
      );
    }
    if (sharedEvents.length)
      count('timelineEvents', await s.scrub('timeline_event', ['title', 'body', 'data'], sql`id in (${idList(sharedEvents)})`));
    count(
      'timelineLinks',
      await execute(
        em,
        sql`delete from timeline_link where workspace_id = ${workspaceId} and target_type = 'Contact' and target_id in (${ids})`,
      ),
    );
    count('emailMessages', await execute(em, sql`delete from email_message where ${emailMessages}`));
    count('automationRuns', await execute(em, sql`delete from automation_run where workspace_id = ${workspaceId} and ${runs}`));
    count(
      'notifications',
      await execute(
        em,
        sql`delete from notification where workspace_id = ${workspaceId} and record_type = 'Contact' and record_id in (${ids})`,
      ),
    );
    count('tags', await execute(em, sql`delete from contact_tag where contact_id in (${ids})`));
    count('contact', await execute(em, sql`delete from contact where workspace_id = ${workspaceId} and id in (${ids})`));
  } else {
    if (activities.all.length) {
      count('activities', await s.scrub('activity', ['subject', 'body'], sql`id in (${idList(activities.all)})`));
      count('comments', await s.scrub('comment', ['body'], sql`activity_id in (${idList(activities.all)})`));
    }
    if (events.all.length)
      count('timelineEvents', await s.scrub('timeline_event', ['title', 'body', 'data'], sql`id in (${idList(events.all)})`));
    // message bodies and tracking data go; the send itself (status, time, template) stays
    count(
      'emailMessages',
      await execute(
        em,
        sql`update email_message set to_address = '[erased]', cc = '{}', subject = '[erased]', html = '', text = '', last_error = null, provider_message_id = null where ${emailMessages}`,
      ),
    );
    count(
      'automationRuns',
      await s.scrub(
        'automation_run_step',
        ['input', 'output', 'error'],
        sql`run_id in (select id from automation_run where workspace_id = ${workspaceId} and ${runs})`,
      ),
    );
    count(
      'contact',
      await execute(
        em,
        sql`update contact set first_name = null, last_name = null, emails = '[]', primary_email = null, phones = '[]', job_title = null, address = null,
              custom_fields = '{}', search_text = '', do_not_contact = true, do_not_email = true, do_not_call = true, version = version + 1, updated_at = now()
            where workspace_id = ${workspaceId} and id in (${ids})`,
      ),
    );
  }

  // rows about the person's activities, timeline entries and sends mention those ids, not the contact's
  const links = [...s.links, ...likePatterns([...activities.all, ...events.all, ...messageIds, ...s.related])];
  await sweep(ctx, s, links, sections);
  count('auditEntries', await redactAudit(ctx, s, links));
  count('suppressedEmails', await suppressEmails(em, workspaceId, s.emails));

  const erasedAt = new Date();
  await em.execute(
    `insert into privacy_erasure (id, workspace_id, contact_id, mode, actor_user_id, actor_api_key_id, erased_at, sections) values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, cast(? as jsonb))`,
    [workspaceId, s.contactId, mode, ctx.principal.userId, ctx.principal.apiKeyId, erasedAt.toISOString(), JSON.stringify(sections)],
  );
  // downstream systems (webhook receivers) are told, without a value
  await emitEvent(em, contactPersonalDataErased, { id: s.contactId, mode }, { workspaceId });
  // who, when, which contact, how: never a value
  await recordAuditAs(ctx, {
    action: 'contact.personalDataErased',
    objectType: CONTACT,
    objectId: s.contactId,
    metadata: { mode, sections, mergedContacts: s.contactIds.length - 1 },
  });
  return { contactId: toGlobalId(CONTACT, s.contactId), mode, erasedAt, sections };
}
