import { parseTimestamp } from '../../db/read-rows.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { InputRejected } from '../../graphql/errors.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { Sql, sql, raw } from '../../db/sql.js';
import { companyWhere } from '../customers/company.service.js';
import { contactWhere } from '../customers/contact.service.js';
import type { CompanyFilter } from '../customers/company.types.js';
import type { ContactFilter } from '../customers/contact.types.js';
import { definitionsFor } from '../custom-fields/custom-field.service.js';
import type { EmailEntry, PhoneEntry, PostalAddress } from '../shared/value-objects.js';
import { customCellText, OBJECT_TYPE_NAMES, type ImportObjectKind } from './import-fields.js';

const PAGE = 1000;
const ADDRESS_PARTS = ['street', 'city', 'region', 'postalCode', 'country'] as const;

interface ExportSpec {
  from: string;
  select: string;
  where: (ctx: RequestContext, filter: unknown) => Promise<Sql>;
  tagPivot: [string, string];
  columns: [string, (row: Record<string, any>) => unknown][];
}

const joinList = (values: string[] | undefined | null) => (values ?? []).join(';');
const iso = (d: unknown) => (d ? (d instanceof Date ? d : parseTimestamp(String(d))).toISOString() : '');

const SPECS: Record<ImportObjectKind, ExportSpec> = {
  contacts: {
    from: 'contact c left join company co on co.id = c.company_id and co.deleted_at is null',
    select: 'c.*, coalesce(co.primary_domain, co.name) as company_ref',
    where: (ctx, filter) => contactWhere(ctx, filter as ContactFilter),
    tagPivot: ['contact_tag', 'contact_id'],
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
      ...ADDRESS_PARTS.map((p) => [`address.${p}`, (r: Record<string, any>) => (r.address as PostalAddress | null)?.[p]] as [string, (r: Record<string, any>) => unknown]),
      ['createdAt', (r) => iso(r.created_at)],
      ['updatedAt', (r) => iso(r.updated_at)],
    ],
  },
  companies: {
    from: 'company c',
    select: 'c.*',
    where: (ctx, filter) => companyWhere(ctx, filter as CompanyFilter),
    tagPivot: ['company_tag', 'company_id'],
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
      ...ADDRESS_PARTS.map((p) => [`address.${p}`, (r: Record<string, any>) => (r.address as PostalAddress | null)?.[p]] as [string, (r: Record<string, any>) => unknown]),
      ['createdAt', (r) => iso(r.created_at)],
      ['updatedAt', (r) => iso(r.updated_at)],
    ],
  },
};

/** The `filter` query parameter: the JSON of the GraphQL filter input; DateTime conditions become dates. */
export function parseExportFilter(text: string | undefined): unknown {
  if (!text) return undefined;
  let filter: unknown;
  try {
    filter = JSON.parse(text);
  } catch {
    throw InputRejected.one('filter', 'is not valid JSON');
  }
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw InputRejected.one('filter', 'must be a JSON object');
  for (const key of ['createdAt', 'updatedAt'] as const) {
    const f = (filter as Record<string, Record<string, unknown> | undefined>)[key];
    if (!f) continue;
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
export async function* exportRows(ctx: RequestContext, kind: ImportObjectKind, filter: unknown): AsyncGenerator<unknown[]> {
  const workspaceId = workspaceOf(ctx);
  const spec = SPECS[kind];
  const where = await spec.where(ctx, filter);
  const defs = [...(await definitionsFor(ctx, OBJECT_TYPE_NAMES[kind])).values()];
  yield [...spec.columns.map(([name]) => name), ...defs.map((d) => `custom.${d.key}`)];
  let after: string | null = null;
  for (;;) {
    const page: Sql = sql`select ${raw(spec.select)} from ${raw(spec.from)} where ${where}${after ? sql` and c.id > ${after}` : raw('')} order by c.id limit ${PAGE}`;
    const rows = await ctx.em.execute<Record<string, any>[]>(page.text, page.params);
    if (!rows.length) return;
    const [pivot, column] = spec.tagPivot;
    const tags = sql`select p.${raw(column)} as record_id, t.name from ${raw(pivot)} p join tag t on t.id = p.tag_id where p.${raw(column)} in (${Sql.join(rows.map((r) => sql`${r.id}`), ', ')}) and t.workspace_id = ${workspaceId} order by t.name`;
    const byRecord = new Map<string, string[]>();
    for (const t of await ctx.em.execute<{ record_id: string; name: string }[]>(tags.text, tags.params)) {
      byRecord.set(t.record_id, [...(byRecord.get(t.record_id) ?? []), t.name]);
    }
    for (const row of rows) {
      row._tags = byRecord.get(row.id);
      yield [...spec.columns.map(([, read]) => read(row) ?? ''), ...defs.map((d) => customCellText(row.custom_fields?.[d.key]))];
    }
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.id;
  }
}
