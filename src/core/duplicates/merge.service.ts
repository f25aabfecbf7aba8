import { z } from 'zod';
import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { parseInput } from '../shared/validation.js';
import { Company } from '../customers/company.entity.js';
import { ConsentStatus, Contact } from '../customers/contact.entity.js';
import { COMPANY } from '../customers/company.service.js';
import { CONTACT, refreshContactSearchText } from '../customers/contact.service.js';
import { companySearchText, phoneDigits } from '../search/search-text.js';
import type { CustomFieldValues, EmailEntry, PhoneEntry } from '../shared/value-objects.js';
import { moveCompanyRows, moveContactRows } from './merge-rows.js';
import { annotateMerge } from '../audit/merge-audit.js';
import { RECORD_SCOPES } from '../customers/record-scope.js';
import { noteConsent } from '../consent/consent.js';

export const MAX_MERGE_SOURCES = 20;

const mergeSchema = z.object({
  targetId: z.string(),
  sourceIds: z
    .array(z.string())
    .min(1, { message: 'give at least one record to merge' })
    .max(MAX_MERGE_SOURCES, { message: `at most ${MAX_MERGE_SOURCES} records per merge` }),
  version: z.number().int().nullish(),
});

interface MergeSet<T> {
  target: T;
  sources: T[];
}

type Mergeable = {
  id: string;
  version: number;
  owner?: { id: string } | null;
  deletedAt?: Date | null;
  mergedIntoId?: string | null;
  updatedAt: Date;
  customFields: CustomFieldValues;
};

/**
 * Loads and locks the target and the sources (all live, all in the caller's workspace), in the order given. The
 * target must be in the caller's update scope and every source in their delete scope; others are NOT_FOUND.
 */
async function loadMergeSet<T extends Mergeable>(
  ctx: RequestContext,
  entity: new () => T,
  type: string,
  input: unknown,
): Promise<MergeSet<T>> {
  const scope = RECORD_SCOPES[type]!;
  const data = parseInput(mergeSchema, input);
  const workspaceId = workspaceOf(ctx);
  const targetId = expectGlobalId(data.targetId, type, 'targetId');
  const sourceIds = data.sourceIds.map((g, i) => expectGlobalId(g, type, `sourceIds.${i}`));
  sourceIds.forEach((id, i) => {
    if (id === targetId) throw InputRejected.one(`sourceIds.${i}`, 'the target cannot also be a source');
    if (sourceIds.indexOf(id) !== i) throw InputRejected.one(`sourceIds.${i}`, 'is listed twice');
  });
  const rows = await ctx.em.find(entity, { id: { $in: [targetId, ...sourceIds] }, workspaceId, deletedAt: null } as never, {
    lockMode: LockMode.PESSIMISTIC_WRITE,
    orderBy: { id: 'asc' } as never,
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const target = byId.get(targetId);
  if (!target || !ctx.principal.access.reaches(scope.update, [target.owner?.id]))
    throw InputRejected.one('targetId', `${type.toLowerCase()} not found`, ErrorCode.NOT_FOUND);
  const sources = sourceIds.map((id, i) => {
    const source = byId.get(id);
    if (!source || !ctx.principal.access.reaches(scope.delete, [source.owner?.id]))
      throw InputRejected.one(`sourceIds.${i}`, `${type.toLowerCase()} not found`, ErrorCode.NOT_FOUND);
    return source;
  });
  if (data.version != null && target.version !== data.version) {
    throw InputRejected.one(
      'version',
      `the ${type.toLowerCase()} is at version ${target.version}, not ${data.version}; reload it and try again`,
      ErrorCode.CONFLICT,
    );
  }
  return { target, sources };
}

const blank = (v: unknown) => v == null || v === '';

/** Fills the target's blank fields from the sources, first source first. */
function fillBlanks<T, K extends keyof T>(target: T, sources: T[], keys: K[]): void {
  for (const key of keys) {
    if (!blank(target[key])) continue;
    const donor = sources.find((s) => !blank(s[key]));
    if (donor) target[key] = donor[key];
  }
}

/** Target values win; sources fill the gaps, first source first. */
function mergedCustomValues(target: Mergeable, sources: Mergeable[]): CustomFieldValues {
  return Object.assign({}, ...[...sources].reverse().map((s) => s.customFields), target.customFields);
}

/** The target's entries first (its primary stays primary), then the sources' new ones. */
function unionEntries<E extends { primary: boolean }>(target: E[], sources: E[][], key: (e: E) => string): E[] {
  const seen = new Set(target.map(key));
  const out = [...target];
  for (const entry of sources.flat()) {
    if (seen.has(key(entry))) continue;
    seen.add(key(entry));
    out.push({ ...entry, primary: out.length === 0 });
  }
  return out;
}

function retire<T extends Mergeable>(sources: T[], targetId: string, now: Date): void {
  for (const source of sources) {
    source.deletedAt = now;
    source.mergedIntoId = targetId;
    source.updatedAt = now;
  }
}

export async function mergeContacts(ctx: RequestContext, input: unknown): Promise<{ contact: Contact; mergedIds: string[] }> {
  const em = ctx.em;
  const { target, sources } = await loadMergeSet(ctx, Contact, CONTACT, input);
  fillBlanks(target, sources, ['firstName', 'lastName', 'jobTitle', 'company', 'address', 'owner', 'source']);
  target.emails = unionEntries<EmailEntry>(
    target.emails,
    sources.map((s) => s.emails),
    (e) => e.email,
  );
  target.primaryEmail = target.emails.find((e) => e.primary)?.email ?? null;
  target.phones = unionEntries<PhoneEntry>(
    target.phones,
    sources.map((s) => s.phones),
    (p) => phoneDigits(p.number),
  );
  target.customFields = mergedCustomValues(target, sources);
  // opt-outs are never lost in a merge
  target.doNotContact = [target, ...sources].some((c) => c.doNotContact);
  target.doNotEmail = [target, ...sources].some((c) => c.doNotEmail);
  target.doNotCall = [target, ...sources].some((c) => c.doNotCall);
  // the most recent consent decision stands
  const decided = [target, ...sources]
    .filter((c) => c.marketingConsent !== ConsentStatus.UNKNOWN)
    .sort((a, b) => (b.consentUpdatedAt?.getTime() ?? 0) - (a.consentUpdatedAt?.getTime() ?? 0))[0];
  if (decided && decided !== target) {
    target.marketingConsent = decided.marketingConsent;
    target.consentUpdatedAt = decided.consentUpdatedAt ?? new Date();
  }
  noteConsent(target, { source: `merge of contacts ${sources.map((c) => c.id).join(', ')}`.slice(0, 500) });
  refreshContactSearchText(target);
  const now = new Date();
  target.updatedAt = now;
  retire(sources, target.id, now);
  await annotateMerge(em, 'Contact', target.workspaceId, target, sources);
  await moveContactRows(
    em,
    target.workspaceId,
    target.id,
    sources.map((s) => s.id),
  );
  await em.flush();
  return { contact: target, mergedIds: sources.map((s) => s.id) };
}

export async function mergeCompanies(ctx: RequestContext, input: unknown): Promise<{ company: Company; mergedIds: string[] }> {
  const em: SqlEntityManager = ctx.em;
  const { target, sources } = await loadMergeSet(ctx, Company, COMPANY, input);
  fillBlanks(target, sources, ['industry', 'employeeCount', 'address', 'website', 'owner', 'lifecycleStage']);
  if (target.annualRevenueAmount == null) {
    const donor = sources.find((s) => s.annualRevenueAmount != null);
    if (donor) {
      target.annualRevenueAmount = donor.annualRevenueAmount;
      target.annualRevenueCurrency = donor.annualRevenueCurrency;
    }
  }
  target.domains = [...new Set([...target.domains, ...sources.flatMap((s) => s.domains)])];
  target.primaryDomain = target.domains[0] ?? null;
  target.phones = unionEntries<PhoneEntry>(
    target.phones,
    sources.map((s) => s.phones),
    (p) => phoneDigits(p.number),
  );
  target.customFields = mergedCustomValues(target, sources);
  target.searchText = companySearchText(target);
  const now = new Date();
  target.updatedAt = now;
  retire(sources, target.id, now);
  await annotateMerge(em, 'Company', target.workspaceId, target, sources);
  await moveCompanyRows(
    em,
    target.workspaceId,
    target.id,
    sources.map((s) => s.id),
  );
  await em.flush();
  return { company: target, mergedIds: sources.map((s) => s.id) };
}
