import { parseTimestamp } from '../../db/read-rows.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { InputRejected } from '../../graphql/errors.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { Sql, sql, raw, type SqlRow } from '../../db/sql.js';
import { companies, type CompanyFilter } from '../customers/company.records.js';
import { contacts, type ContactFilter } from '../customers/contact.records.js';
import { activityWhere } from '../activities/activity.service.js';
import type { ActivityFilter } from '../activities/activity.types.js';
import { definitionsFor } from '../custom-fields/custom-field.service.js';
import { tagsOf, type Taggable } from '../tags/tag.service.js';
import type { Tag } from '../tags/tag.entity.js';
import type { EmailEntry, PhoneEntry, PostalAddress } from '../shared/value-objects.js';
import { customCellText, OBJECT_TYPE_NAMES, type ImportObjectKind } from './import-fields.js';
import { COMPANY_SCOPE, CONTACT_SCOPE, readScopeSql } from '../customers/record-scope.js';
import { hiddenPaths, isHiddenPath } from './import-export.access.js';

const PAGE = 1000;
const ADDRESS_PARTS = ['street', 'city', 'region', 'postalCode', 'country'] as const;

/** Lists that export as CSV: the importable ones plus activities. */
export type ExportKind = ImportObjectKind | 'activities';
export const EXPORT_KINDS: ExportKind[] = ['contacts', 'companies', 'activities'];

interface ExportSpec {
  /** `from` clause; joined records are limited to the caller's read scope. */
  from: (ctx: RequestContext) => Sql;
  /** Alias of the exported table in `from`. */
  alias: string;
  select: (ctx: RequestContext) => Sql;
  where: (ctx: RequestContext, filter: unknown) => Promise<Sql>;
  taggable?: Taggable;
  /** Record type whose custom fields become `custom.<key>` columns. */
  customFieldsOf?: string;
  /** Filter keys holding date-times (JSON strings become dates). */
  dateKeys: string[];
  columns: [string, (row: SqlRow) => unknown][];
}

const joinList = (values: string[] | undefined | null) => (values ?? []).join(';');
const iso = (d: unknown) => (d ? (d instanceof Date ? d : parseTimestamp(String(d))).toISOString() : '');

const SPECS: Record<ExportKind, ExportSpec> = {
  contacts: {
    alias: 'c',
    customFieldsOf: OBJECT_TYPE_NAMES.contacts,
    dateKeys: ['createdAt', 'updatedAt'],
    // the company column names only companies the caller may read (like Contact.company)
    from: (ctx) =>
      sql`contact c left join company co on co.id = c.company_id and co.deleted_at is null and ${readScopeSql(ctx, COMPANY_SCOPE, 'co')}`,
    select: () => raw('c.*, coalesce(co.primary_domain, co.name) as company_ref'),
    where: (ctx, filter) => contacts.where(ctx, filter as ContactFilter),
    taggable: 'Contact',
    columns: [
      ['id', (r) => toGlobalId('Contact', r.id)],
      ['firstName', (r) => r.first_name],
      ['lastName', (r) => r.last_name],
      ['email', (r) => r.primary_email],
      ['emails', (r) => joinList((r.emails as EmailEntry[]).map((e) => e.email))],
      ['phones', (r) => joinList((r.phones as PhoneEntry[]).map((p) => p.number))],
      ['jobTitle', (r) => r.job_title],
      ['company', (r) => r.company_ref],
      ['lifecycleStage', (r) => r.lifecycle_stage],
      ['source', (r) => r.source],
      ['marketingConsent', (r) => r.marketing_consent],
      ['doNotContact', (r) => r.do_not_contact],
      ['doNotEmail', (r) => r.do_not_email],
      ['doNotCall', (r) => r.do_not_call],
      ['tags', (r) => joinList(r._tags)],
      ...ADDRESS_PARTS.map(
        (p) => [`address.${p}`, (r: SqlRow) => (r.address as PostalAddress | null)?.[p]] as [string, (r: SqlRow) => unknown],
      ),
      ['createdAt', (r) => iso(r.created_at)],
      ['updatedAt', (r) => iso(r.updated_at)],
    ],
  },
  companies: {
    alias: 'c',
    customFieldsOf: OBJECT_TYPE_NAMES.companies,
    dateKeys: ['createdAt', 'updatedAt'],
    from: () => raw('company c'),
    select: () => raw('c.*'),
    where: (ctx, filter) => companies.where(ctx, filter as CompanyFilter),
    taggable: 'Company',
    columns: [
      ['id', (r) => toGlobalId('Company', r.id)],
      ['name', (r) => r.name],
      ['domains', (r) => joinList(r.domains)],
      ['industry', (r) => r.industry],
      ['employeeCount', (r) => r.employee_count],
      ['annualRevenue', (r) => r.annual_revenue_amount],
      ['annualRevenueCurrency', (r) => r.annual_revenue_currency],
      ['phones', (r) => joinList((r.phones as PhoneEntry[]).map((p) => p.number))],
      ['website', (r) => r.website],
      ['lifecycleStage', (r) => r.lifecycle_stage],
      ['tags', (r) => joinList(r._tags)],
      ...ADDRESS_PARTS.map(
        (p) => [`address.${p}`, (r: SqlRow) => (r.address as PostalAddress | null)?.[p]] as [string, (r: SqlRow) => unknown],
      ),
      ['createdAt', (r) => iso(r.created_at)],
      ['updatedAt', (r) => iso(r.updated_at)],
    ],
  },
  activities: {
    alias: 'a',
    dateKeys: ['dueBefore', 'dueAfter'],
    from: () => raw('activity a left join app_user u on u.id = a.assignee_id'),
    // targets: contacts and companies outside the caller's read scope are left out (like Activity.targets)
    select: (ctx) => sql`a.*, u.email as assignee_email,
      array(select l.target_type || ':' || l.target_id from timeline_link l where l.entry_id = a.id and l.workspace_id = a.workspace_id and l.entry_kind = 'activity'
        and (l.target_type <> 'Contact' or exists (select 1 from contact r where r.id = l.target_id and ${readScopeSql(ctx, CONTACT_SCOPE, 'r')}))
        and (l.target_type <> 'Company' or exists (select 1 from company r where r.id = l.target_id and ${readScopeSql(ctx, COMPANY_SCOPE, 'r')}))
        order by 1) as targets`,
    where: async (ctx, filter) => activityWhere(ctx, filter as ActivityFilter),
    columns: [
      ['id', (r) => toGlobalId('Activity', r.id)],
      ['type', (r) => r.type],
      ['subject', (r) => r.subject],
      ['body', (r) => r.body],
      ['occurredAt', (r) => iso(r.occurred_at)],
      ['durationSeconds', (r) => r.duration_seconds],
      ['direction', (r) => r.direction],
      ['outcome', (r) => r.outcome],
      ['dueAt', (r) => iso(r.due_at)],
      ['priority', (r) => r.priority],
      ['completedAt', (r) => iso(r.completed_at)],
      ['assignee', (r) => r.assignee_email],
      ['targets', (r) => joinList((r.targets as string[]).map((t) => toGlobalId(t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1))))],
      ['createdAt', (r) => iso(r.created_at)],
    ],
  },
};

/** The `filter` query parameter: the JSON of the GraphQL filter input; DateTime conditions become dates. */
export function parseExportFilter(kind: ExportKind, text: string | undefined): unknown {
  if (!text) return undefined;
  let filter: unknown;
  try {
    filter = JSON.parse(text);
  } catch {
    throw InputRejected.one('filter', 'is not valid JSON');
  }
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw InputRejected.one('filter', 'must be a JSON object');
  for (const key of SPECS[kind].dateKeys) {
    const record = filter as Record<string, unknown>;
    if (typeof record[key] === 'string') {
      const date = new Date(record[key] as string);
      if (Number.isNaN(date.getTime())) throw InputRejected.one(`filter.${key}`, 'is not a valid date-time');
      record[key] = date;
      continue;
    }
    const f = record[key] as Record<string, unknown> | undefined;
    if (!f || typeof f !== 'object') continue;
    for (const op of ['gt', 'gte', 'lt', 'lte']) {
      if (f[op] == null) continue;
      const date = new Date(String(f[op]));
      if (Number.isNaN(date.getTime())) throw InputRejected.one(`filter.${key}.${op}`, 'is not a valid date-time');
      f[op] = date;
    }
  }
  return filter;
}

/**
 * CSV rows (header first) of the caller's contacts or companies matching the filter, read in keyset pages of
 * 1000 so memory stays flat. Custom fields get one column each (`custom.<key>`); the file re-imports as is.
 */
export async function* exportRows(ctx: RequestContext, kind: ExportKind, filter: unknown): AsyncGenerator<unknown[]> {
  const workspaceId = workspaceOf(ctx);
  const spec = SPECS[kind];
  const a = spec.alias;
  // the filter is checked first: a filter on a hidden field is refused (FORBIDDEN) before anything is read
  const where = await spec.where(ctx, filter);
  // columns of fields hidden by the caller's allowlist are left out of the file
  const hidden = hiddenPaths(ctx.principal, kind);
  const columns = spec.columns.filter(([name]) => !isHiddenPath(hidden, name));
  const defs =
    spec.customFieldsOf && !isHiddenPath(hidden, 'custom.') ? [...(await definitionsFor(ctx, spec.customFieldsOf)).values()] : [];
  yield [...columns.map(([name]) => name), ...defs.map((d) => `custom.${d.key}`)];
  let after: string | null = null;
  const select = spec.select(ctx);
  const from = spec.from(ctx);
  for (;;) {
    const page: Sql = sql`select ${select} from ${from} where ${where}${after ? sql` and ${raw(a)}.id > ${after}` : raw('')} order by ${raw(a)}.id limit ${PAGE}`;
    const rows = await ctx.em.execute<SqlRow[]>(page.text, page.params);
    if (!rows.length) return;
    const tags = spec.taggable
      ? await tagsOf(
          ctx.em,
          workspaceId,
          spec.taggable,
          rows.map((r) => r.id as string),
        )
      : new Map<string, Tag[]>();
    for (const row of rows) {
      row._tags = tags.get(row.id)?.map((t) => t.name);
      yield [...columns.map(([, read]) => read(row) ?? ''), ...defs.map((d) => customCellText(row.custom_fields?.[d.key]))];
    }
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.id;
  }
}
