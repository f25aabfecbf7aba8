import { readColumns, readRow } from '../../db/read-rows.js';
import { z } from 'zod';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Company } from './company.entity.js';
import { Contact } from './contact.entity.js';
import { memberOrReject } from '../identity/members.js';
import { LifecycleStage } from '../shared/value-objects.js';
import { Sql, sql, raw } from '../../db/sql.js';
import { keysetPage, type SortKey } from '../../db/keyset-page.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { pageRequest, type ConnectionArgs } from '../../graphql/relay.js';
import { address, domainName, money, optionalText, parseInput, phoneList, trimmed, webUrl } from '../shared/validation.js';
import { dateFilterSql, idFilterSql, numberFilterSql, stringFilterSql, SortDirection } from '../shared/filters.js';
import { customFieldExprOrReject, customFilterSql, definitionsFor, mergeCustomValues } from '../custom-fields/custom-field.service.js';
import { resolveTagIds, setTags } from '../tags/tag.service.js';
import { companySearchText, foldText } from '../search/search-text.js';
import { once } from '../idempotency/idempotency.js';
import { CompanySortField, type CompanyFilter, type CompanyOrder } from './company.types.js';
import { COMPANY_SCOPE, readable, readScopeSql, rejectProbes, visibleSearchText } from './record-scope.js';
import { ownerOrReject } from './contact.service.js';
import { erasedFields, recordAuditAs } from '../audit/audit-log.js';

export const COMPANY = 'Company';

const fields = {
  name: trimmed(300).pipe(z.string().min(1, { message: 'must not be empty' })),
  domains: z.array(domainName).max(50, { message: 'at most 50 domains' }).transform((d) => [...new Set(d)]),
  industry: optionalText(120),
  employeeCount: z.number().int().min(0, { message: 'must not be negative' }).max(10_000_000).nullish(),
  annualRevenue: money.nullish(),
  address: address.nullish(),
  phones: phoneList,
  website: webUrl.nullish(),
  ownerId: z.string().nullish(),
  tagIds: z.array(z.string()).max(100, { message: 'at most 100 tags' }),
  lifecycleStage: z.enum(LifecycleStage).nullish(),
  customFields: z.unknown().optional(),
  idempotencyKey: z.string().nullish(),
};
const createSchema = z.object({ ...fields, domains: fields.domains.default([]), phones: fields.phones.default([]), tagIds: fields.tagIds.default([]) });
const updateSchema = z.object({ id: z.string(), version: z.number().int() }).extend(z.object(fields).partial().shape);

const sortColumns: Record<CompanySortField, string> = {
  [CompanySortField.NAME]: 'lower(c.name)',
  [CompanySortField.CREATED_AT]: 'c.created_at',
  [CompanySortField.UPDATED_AT]: 'c.updated_at',
  [CompanySortField.EMPLOYEE_COUNT]: 'c.employee_count',
  [CompanySortField.ANNUAL_REVENUE]: 'c.annual_revenue_amount',
  [CompanySortField.INDUSTRY]: 'c.industry',
  [CompanySortField.LIFECYCLE_STAGE]: 'c.lifecycle_stage',
};

const NOT_NULL_SORTS = new Set([CompanySortField.NAME, CompanySortField.CREATED_AT, CompanySortField.UPDATED_AT]);


export async function companyWhere(ctx: RequestContext, filter: CompanyFilter | null | undefined, alias = 'c'): Promise<Sql> {
  const workspaceId = workspaceOf(ctx);
  const f = filter ?? ({ deleted: false } as CompanyFilter);
  rejectProbes(ctx, COMPANY, f, null);
  const defs = f.custom?.length ? await definitionsFor(ctx, COMPANY) : new Map();
  const parts: Sql[] = [
    sql`${raw(alias)}.workspace_id = ${workspaceId}`,
    // record scope: only companies the caller may read, in lists, counts and exports alike
    readScopeSql(ctx, COMPANY_SCOPE, alias),
    raw(f.deleted ? `${alias}.deleted_at is not null and ${alias}.merged_into_id is null` : `${alias}.deleted_at is null`),
    ...stringFilterSql(`${alias}.name`, f.name),
    ...stringFilterSql(`${alias}.industry`, f.industry),
    ...numberFilterSql(`${alias}.employee_count`, f.employeeCount),
    ...numberFilterSql(`${alias}.annual_revenue_amount`, f.annualRevenue),
    ...idFilterSql(`${alias}.owner_id`, f.owner, 'User', 'filter.owner'),
    ...dateFilterSql(`${alias}.created_at`, f.createdAt),
    ...dateFilterSql(`${alias}.updated_at`, f.updatedAt),
    ...customFilterSql(defs, alias, f.custom),
  ];
  if (f.domain) {
    const domainParts = stringFilterSql('d', f.domain);
    if (domainParts.length) parts.push(sql`exists (select 1 from unnest(${raw(alias)}.domains) d where ${Sql.and(domainParts)})`);
  }
  if (f.lifecycleStage) {
    parts.push(f.lifecycleStage.length ? sql`${raw(alias)}.lifecycle_stage::text in (${Sql.join(f.lifecycleStage.map((s) => sql`${s}`), ', ')})` : sql`false`);
  }
  if (f.tags?.length) {
    const tagIds = f.tags.map((t, i) => expectGlobalId(t, 'Tag', `filter.tags.${i}`));
    parts.push(sql`(select count(*) from company_tag ct where ct.company_id = ${raw(alias)}.id and ct.tag_id in (${Sql.join(tagIds.map((t) => sql`${t}`), ', ')})) = ${new Set(tagIds).size}`);
  }
  if (f.query != null) {
    const q = foldText(f.query);
    if (q.length > 200) throw InputRejected.one('filter.query', 'must be at most 200 characters');
    // hidden phone numbers are left out of the text the query matches
    const text = raw(visibleSearchText(ctx, COMPANY, alias));
    if (q) parts.push(sql`(${text} ilike ${'%' + q.replace(/[\\%_]/g, (ch) => '\\' + ch) + '%'} or ${text} % ${q})`);
  }
  return Sql.and(parts);
}

export async function companyOrderBy(ctx: RequestContext, orderBy: CompanyOrder[] | null | undefined, alias = 'c'): Promise<SortKey[]> {
  if (!orderBy?.length) return [{ expr: `${alias}.created_at`, direction: 'DESC', nullable: false }];
  rejectProbes(ctx, COMPANY, null, orderBy);
  const defs = orderBy.some((o) => o.customField != null) ? await definitionsFor(ctx, COMPANY) : new Map();
  return orderBy.map((o, i) => {
    if ((o.field == null) === (o.customField == null)) {
      throw InputRejected.one(`orderBy.${i}`, 'give exactly one of field or customField');
    }
    const expr = o.field ? sortColumns[o.field].replaceAll('c.', `${alias}.`) : customFieldExprOrReject(defs, o.customField!, alias, `orderBy.${i}.customField`).expr;
    return { expr, direction: o.direction === SortDirection.DESC ? 'DESC' : 'ASC', nullable: !o.field || !NOT_NULL_SORTS.has(o.field) };
  });
}

export async function listCompanies(ctx: RequestContext, args: ConnectionArgs, filter?: CompanyFilter | null, orderBy?: CompanyOrder[] | null) {
  const request = pageRequest(args);
  const where = await companyWhere(ctx, filter);
  const order = await companyOrderBy(ctx, orderBy);
  return keysetPage(ctx.em, { from: 'company c', select: readColumns(ctx.em, Company, 'c'), where, orderBy: order, idExpr: 'c.id' }, request, (row) =>
    readRow(ctx.em, Company, row),
  );
}

/** A company of the caller's workspace by global id; null when missing, foreign or outside the caller's read scope. */
export async function findCompany(ctx: RequestContext, globalId: string, field = 'id'): Promise<Company | null> {
  const id = expectGlobalId(globalId, COMPANY, field);
  return readable(ctx, 'Company').load(id);
}

function applyCompanyFields(company: Company, data: Partial<z.infer<typeof createSchema>>) {
  if (data.name !== undefined) company.name = data.name;
  if (data.domains !== undefined) {
    company.domains = data.domains;
    company.primaryDomain = data.domains[0] ?? null;
  }
  if (data.industry !== undefined) company.industry = data.industry;
  if (data.employeeCount !== undefined) company.employeeCount = data.employeeCount;
  if (data.annualRevenue !== undefined) {
    company.annualRevenueAmount = data.annualRevenue?.amount ?? null;
    company.annualRevenueCurrency = data.annualRevenue?.currency ?? null;
  }
  if (data.address !== undefined) company.address = data.address;
  if (data.phones !== undefined) company.phones = data.phones;
  if (data.website !== undefined) company.website = data.website;
  if (data.lifecycleStage !== undefined) company.lifecycleStage = data.lifecycleStage;
  company.searchText = companySearchText(company);
}

export async function createCompany(ctx: RequestContext, input: unknown): Promise<Company> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const data = parseInput(createSchema, input);
  const { id } = await once(em, workspaceId, 'createCompany', data.idempotencyKey, async () => {
    const company = em.create(Company, { workspaceId, name: data.name } as Company);
    applyCompanyFields(company, data);
    company.owner = (await ownerOrReject(ctx, COMPANY_SCOPE.update, data.ownerId, true)) ?? null;
    company.customFields = mergeCustomValues(await definitionsFor(ctx, COMPANY), {}, data.customFields, { creating: true });
    const tagIds = await resolveTagIds(em, data.tagIds, 'tagIds');
    await em.flush();
    await setTags(em, COMPANY, company.id, tagIds);
    return company.id;
  });
  return em.findOneOrFail(Company, { id });
}

/**
 * Loads a live company for editing and checks the version the client edited. A company outside the caller's
 * `permission` scope (update, or delete for trashing) is NOT_FOUND, exactly like a missing one.
 */
export async function companyForUpdate(ctx: RequestContext, globalId: string, version: number | undefined, field = 'id', permission = COMPANY_SCOPE.update): Promise<Company> {
  const id = expectGlobalId(globalId, COMPANY, field);
  const company = await ctx.em.findOne(Company, { id, deletedAt: null });
  if (!company || !ctx.principal.access.reaches(permission, [company.owner?.id])) throw InputRejected.one(field, 'company not found', ErrorCode.NOT_FOUND);
  if (version !== undefined && company.version !== version) {
    throw InputRejected.one('version', `the company is at version ${company.version}, not ${version}; reload it and try again`, ErrorCode.CONFLICT);
  }
  return company;
}

export async function updateCompany(ctx: RequestContext, input: unknown): Promise<Company> {
  const em = ctx.em;
  const data = parseInput(updateSchema, input);
  const company = await companyForUpdate(ctx, data.id!, data.version);
  applyCompanyFields(company, data);
  const owner = await ownerOrReject(ctx, COMPANY_SCOPE.update, data.ownerId, false);
  if (owner !== undefined) company.owner = owner;
  if (data.customFields !== undefined) {
    company.customFields = mergeCustomValues(await definitionsFor(ctx, COMPANY), company.customFields, data.customFields, { creating: false });
  }
  if (data.tagIds !== undefined) await setTags(em, COMPANY, company.id, await resolveTagIds(em, data.tagIds, 'tagIds'));
  company.updatedAt = new Date();
  await em.flush();
  return company;
}

/** Moves a company to the trash; its contacts keep the link and come back with it. */
export async function deleteCompany(ctx: RequestContext, globalId: string, version?: number): Promise<Company> {
  const em = ctx.em;
  const company = await companyForUpdate(ctx, globalId, version, 'id', COMPANY_SCOPE.delete);
  company.deletedAt = new Date();
  await em.flush();
  return company;
}

export async function restoreCompany(ctx: RequestContext, globalId: string): Promise<Company> {
  const em = ctx.em;
  const id = expectGlobalId(globalId, COMPANY, 'id');
  const company = await em.findOne(Company, { id, deletedAt: { $ne: null }, mergedIntoId: null });
  if (!company || !ctx.principal.access.reaches(COMPANY_SCOPE.delete, [company.owner?.id])) throw InputRejected.one('id', 'no company with this id is in the trash', ErrorCode.NOT_FOUND);
  company.deletedAt = null;
  await em.flush();
  return company;
}

/** Erases a trashed company for good, with its tags, custom values and timeline links. */
export async function purgeCompany(ctx: RequestContext, globalId: string): Promise<string> {
  const em = ctx.em;
  const id = expectGlobalId(globalId, COMPANY, 'id');
  const company = await em.findOne(Company, { id, deletedAt: { $ne: null } });
  if (!company || !ctx.principal.access.reaches(COMPANY_SCOPE.delete, [company.owner?.id])) throw InputRejected.one('id', 'only a company in the trash can be purged', ErrorCode.NOT_FOUND);
  await em.nativeUpdate(Contact, { company: id }, { company: null });
  await em.execute('delete from timeline_link where target_type = ? and target_id = ?', [COMPANY, id]);
  await em.nativeDelete(Company, { id });
  await recordAuditAs(ctx, { action: 'company.purged', objectType: COMPANY, objectId: id, changes: erasedFields(em, company) });
  return id;
}
