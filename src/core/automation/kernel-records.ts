import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { Sql, sql } from '../../db/sql.js';
import { LifecycleStage } from '../shared/value-objects.js';
import { ConsentStatus, Contact } from '../customers/contact.entity.js';
import { Company } from '../customers/company.entity.js';
import { updateContact } from '../customers/contact.service.js';
import { updateCompany } from '../customers/company.service.js';
import { tagsOf } from '../tags/tag.service.js';
import type { AutomationField, AutomationRecordType, Facts, RecordPatch } from './catalog.js';
import { jsonValue } from '../../db/column-values.js';

const lifecycle = Object.values(LifecycleStage);
const list = (ids: string[]) =>
  Sql.join(
    ids.map((id) => sql`${id}`),
    ', ',
  );
const iso = (v: unknown) => (v == null ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const json = (v: unknown): Record<string, unknown> => jsonValue<Record<string, unknown> | null>(v) ?? {};
const textList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' && v.startsWith('{') ? v.slice(1, -1).split(',').filter(Boolean) : [];

/** Fields both record types share: owner, dates, tags, the owner's teams. */
const common: Record<string, AutomationField> = {
  ownerId: { kind: 'user', label: 'Owner', changeKey: 'owner' },
  'owner.teams': { kind: 'idList', label: 'Teams of the owner' },
  createdAt: { kind: 'date', label: 'Created' },
  updatedAt: { kind: 'date', label: 'Last changed' },
  lastActivityAt: { kind: 'date', label: 'Last activity on the timeline' },
  tags: { kind: 'tags', label: 'Tags (by name)' },
};

/** Custom values as `custom.<key>` facts. */
function customFacts(values: Record<string, unknown>): Facts {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`custom.${key}`, value]));
}

/** Shared columns: the owner's teams, tags (lower-cased names) and the newest timeline entry. */
function commonColumns(alias: string, type: string, tagTable: string, tagColumn: string): Sql {
  const a = alias;
  return new Sql(
    `(select coalesce(array_agg(tm.team_id::text), '{}') from team_member tm where tm.user_id = ${a}.owner_id and tm.workspace_id = ${a}.workspace_id) as owner_teams,
     (select coalesce(array_agg(t.normalized_name), '{}') from ${tagTable} p join tag t on t.id = p.tag_id where p.${tagColumn} = ${a}.id) as tags,
     (select max(l.occurred_at) from timeline_link l where l.workspace_id = ${a}.workspace_id and l.target_type = '${type}' and l.target_id = ${a}.id) as last_activity_at`,
  );
}

function commonFacts(row: Record<string, unknown>): Facts {
  return {
    ownerId: row.owner_id ? toGlobalId('User', String(row.owner_id)) : null,
    'owner.teams': textList(row.owner_teams).map((id) => toGlobalId('Team', id)),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    lastActivityAt: iso(row.last_activity_at),
    tags: textList(row.tags),
  };
}

/** The record's current tag ids with a patch's additions and removals (null: the patch leaves tags alone). */
async function patchedTagIds(ctx: RequestContext, type: string, id: string, patch: RecordPatch): Promise<string[] | null> {
  if (!patch.addTagIds?.length && !patch.removeTagIds?.length) return null;
  const current = (await tagsOf(ctx.em, workspaceOf(ctx), type, [id])).get(id)?.map((t) => t.id) ?? [];
  const removed = new Set(patch.removeTagIds ?? []);
  return [...new Set([...current, ...(patch.addTagIds ?? [])])].filter((t) => !removed.has(t));
}

/** The update input of a kernel record type from a patch (global ids, the stored version). */
async function updateInput(
  ctx: RequestContext,
  type: 'Contact' | 'Company',
  id: string,
  patch: RecordPatch,
): Promise<Record<string, unknown>> {
  const entity =
    type === 'Contact'
      ? await ctx.em.findOneOrFail(Contact, { id, deletedAt: null })
      : await ctx.em.findOneOrFail(Company, { id, deletedAt: null });
  const tagIds = await patchedTagIds(ctx, type, id, patch);
  return {
    id: toGlobalId(type, id),
    version: Number(entity.version),
    ...patch.fields,
    ...(patch.customFields ? { customFields: patch.customFields } : {}),
    ...(patch.ownerId !== undefined ? { ownerId: patch.ownerId ? toGlobalId('User', patch.ownerId) : null } : {}),
    ...(tagIds ? { tagIds: tagIds.map((t) => toGlobalId('Tag', t)) } : {}),
  };
}

export const contactRecordType: AutomationRecordType = {
  name: 'Contact',
  eventPrefix: 'contact',
  customObjectType: 'Contact',
  related: { company: { recordType: 'Company', idField: 'companyId' } },
  fields: {
    firstName: { kind: 'string', writeAs: 'firstName' },
    lastName: { kind: 'string', writeAs: 'lastName' },
    email: { kind: 'string', protectedAs: 'primaryEmail', changeKey: 'primaryEmail', label: 'Primary email' },
    jobTitle: { kind: 'string', writeAs: 'jobTitle' },
    source: { kind: 'string', writeAs: 'source' },
    lifecycleStage: { kind: 'enum', values: lifecycle, writeAs: 'lifecycleStage' },
    marketingConsent: { kind: 'enum', values: Object.values(ConsentStatus), writeAs: 'marketingConsent' },
    doNotContact: { kind: 'boolean', writeAs: 'doNotContact' },
    doNotEmail: { kind: 'boolean', writeAs: 'doNotEmail' },
    doNotCall: { kind: 'boolean', writeAs: 'doNotCall' },
    companyId: { kind: 'record', label: 'Company', changeKey: 'company' },
    ...common,
  },
  table: { name: 'contact', dateColumns: { createdAt: 'created_at', updatedAt: 'updated_at' }, liveWhere: 'deleted_at is null' },
  async load(ctx, ids) {
    if (!ids.length) return new Map();
    const q = sql`select c.id, c.workspace_id, c.first_name, c.last_name, c.primary_email, c.job_title, c.source, c.lifecycle_stage,
        c.marketing_consent, c.do_not_contact, c.do_not_email, c.do_not_call, c.owner_id, c.company_id, c.created_at, c.updated_at,
        c.custom_fields, ${commonColumns('c', 'Contact', 'contact_tag', 'contact_id')}
      from contact c where c.workspace_id = ${workspaceOf(ctx)} and c.id in (${list(ids)}) and c.deleted_at is null`;
    const rows = await ctx.em.execute<Record<string, unknown>[]>(q.text, q.params);
    return new Map(
      rows.map((r) => [
        String(r.id),
        {
          id: String(r.id),
          firstName: r.first_name ?? null,
          lastName: r.last_name ?? null,
          email: r.primary_email ?? null,
          jobTitle: r.job_title ?? null,
          source: r.source ?? null,
          lifecycleStage: r.lifecycle_stage,
          marketingConsent: r.marketing_consent,
          doNotContact: Boolean(r.do_not_contact),
          doNotEmail: Boolean(r.do_not_email),
          doNotCall: Boolean(r.do_not_call),
          companyId: r.company_id ? toGlobalId('Company', String(r.company_id)) : null,
          ...commonFacts(r),
          ...customFacts(json(r.custom_fields)),
        },
      ]),
    );
  },
  async update(ctx, id, patch) {
    await updateContact(ctx, await updateInput(ctx, 'Contact', id, patch));
  },
};

export const companyRecordType: AutomationRecordType = {
  name: 'Company',
  eventPrefix: 'company',
  customObjectType: 'Company',
  fields: {
    name: { kind: 'string', writeAs: 'name' },
    domain: { kind: 'string', label: 'Primary domain', changeKey: 'primaryDomain' },
    industry: { kind: 'string', writeAs: 'industry' },
    employeeCount: { kind: 'number', protectedAs: 'employeeCount', writeAs: 'employeeCount' },
    annualRevenue: {
      kind: 'number',
      protectedAs: 'annualRevenue',
      changeKey: 'annualRevenueAmount',
      label: 'Annual revenue (minor units)',
    },
    website: { kind: 'string', writeAs: 'website' },
    lifecycleStage: { kind: 'enum', values: lifecycle, writeAs: 'lifecycleStage' },
    ...common,
  },
  table: { name: 'company', dateColumns: { createdAt: 'created_at', updatedAt: 'updated_at' }, liveWhere: 'deleted_at is null' },
  async load(ctx, ids) {
    if (!ids.length) return new Map();
    const q = sql`select c.id, c.workspace_id, c.name, c.primary_domain, c.industry, c.employee_count, c.annual_revenue_amount, c.website,
        c.lifecycle_stage, c.owner_id, c.created_at, c.updated_at, c.custom_fields, ${commonColumns('c', 'Company', 'company_tag', 'company_id')}
      from company c where c.workspace_id = ${workspaceOf(ctx)} and c.id in (${list(ids)}) and c.deleted_at is null`;
    const rows = await ctx.em.execute<Record<string, unknown>[]>(q.text, q.params);
    return new Map(
      rows.map((r) => [
        String(r.id),
        {
          id: String(r.id),
          name: r.name,
          domain: r.primary_domain ?? null,
          industry: r.industry ?? null,
          employeeCount: r.employee_count == null ? null : Number(r.employee_count),
          annualRevenue: r.annual_revenue_amount == null ? null : Number(r.annual_revenue_amount),
          website: r.website ?? null,
          lifecycleStage: r.lifecycle_stage ?? null,
          ...commonFacts(r),
          ...customFacts(json(r.custom_fields)),
        },
      ]),
    );
  },
  async update(ctx, id, patch) {
    await updateCompany(ctx, await updateInput(ctx, 'Company', id, patch));
  },
};
