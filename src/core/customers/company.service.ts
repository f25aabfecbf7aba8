import { z } from 'zod';
import { Company } from './company.entity.js';
import { Contact } from './contact.entity.js';
import { LifecycleStage } from '../shared/value-objects.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { address, domainName, money, optionalText, parseInput, phoneList, trimmed, webUrl } from '../shared/validation.js';
import { definitionsFor, mergeCustomValues } from '../custom-fields/custom-field.service.js';
import { resolveTagIds, setTags } from '../tags/tag.service.js';
import { companySearchText } from '../search/search-text.js';
import { once } from '../idempotency/idempotency.js';
import { companies } from './company.records.js';
import { COMPANY_SCOPE } from './record-scope.js';
import { ownerOrReject } from './contact.service.js';
import { erasedFields, recordAuditAs } from '../audit/audit-log.js';

export const COMPANY = 'Company';

const fields = {
  name: trimmed(300).pipe(z.string().min(1, { message: 'must not be empty' })),
  domains: z
    .array(domainName)
    .max(50, { message: 'at most 50 domains' })
    .transform((d) => [...new Set(d)]),
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
const createSchema = z.object({
  ...fields,
  domains: fields.domains.default([]),
  phones: fields.phones.default([]),
  tagIds: fields.tagIds.default([]),
});
const updateSchema = z.object({ id: z.string(), version: z.number().int() }).extend(z.object(fields).partial().shape);

/** A company of the caller's workspace by global id; null when missing, foreign or outside the caller's read scope. */
export function findCompany(ctx: RequestContext, globalId: string, field = 'id'): Promise<Company | null> {
  return companies.find(ctx, globalId, field);
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
    await setTags(em, company.workspaceId, COMPANY, company.id, tagIds);
    return company.id;
  });
  return em.findOneOrFail(Company, { id });
}

/**
 * Loads a live company for editing and checks the version the client edited. A company outside the caller's
 * `permission` scope (update, or delete for trashing) is NOT_FOUND, exactly like a missing one.
 */
export function companyForUpdate(
  ctx: RequestContext,
  globalId: string,
  version: number | undefined,
  field = 'id',
  permission = COMPANY_SCOPE.update,
): Promise<Company> {
  return companies.forUpdate(ctx, globalId, version, { field, permission });
}

export async function updateCompany(ctx: RequestContext, input: unknown): Promise<Company> {
  const em = ctx.em;
  const data = parseInput(updateSchema, input);
  const company = await companyForUpdate(ctx, data.id!, data.version);
  applyCompanyFields(company, data);
  const owner = await ownerOrReject(ctx, COMPANY_SCOPE.update, data.ownerId, false);
  if (owner !== undefined) company.owner = owner;
  if (data.customFields !== undefined) {
    company.customFields = mergeCustomValues(await definitionsFor(ctx, COMPANY), company.customFields, data.customFields, {
      creating: false,
    });
  }
  if (data.tagIds !== undefined)
    await setTags(em, company.workspaceId, COMPANY, company.id, await resolveTagIds(em, data.tagIds, 'tagIds'));
  company.updatedAt = new Date();
  await em.flush();
  return company;
}

/** Moves a company to the trash; its contacts keep the link and come back with it. */
export function deleteCompany(ctx: RequestContext, globalId: string, version?: number): Promise<Company> {
  return companies.trash(ctx, globalId, version);
}

export function restoreCompany(ctx: RequestContext, globalId: string): Promise<Company> {
  return companies.restore(ctx, globalId);
}

/** Erases a trashed company for good, with its tags, custom values and timeline links. */
export async function purgeCompany(ctx: RequestContext, globalId: string): Promise<string> {
  const em = ctx.em;
  const id = expectGlobalId(globalId, COMPANY, 'id');
  const company = await em.findOne(Company, { id, deletedAt: { $ne: null } });
  if (!company || !ctx.principal.access.reaches(COMPANY_SCOPE.delete, [company.owner?.id]))
    throw InputRejected.one('id', 'only a company in the trash can be purged', ErrorCode.NOT_FOUND);
  await em.nativeUpdate(Contact, { company: id }, { company: null });
  await em.execute('delete from timeline_link where target_type = ? and target_id = ?', [COMPANY, id]);
  await em.nativeDelete(Company, { id });
  await recordAuditAs(ctx, { action: 'company.purged', objectType: COMPANY, objectId: id, changes: erasedFields(em, company) });
  return id;
}
