import { z } from 'zod';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Company } from './company.entity.js';
import { ConsentStatus, Contact } from './contact.entity.js';
import { LifecycleStage } from '../shared/value-objects.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { address, emailList, optionalText, parseInput, phoneList } from '../shared/validation.js';
import { definitionsFor, mergeCustomValues } from '../custom-fields/custom-field.service.js';
import { resolveTagIds, setTags } from '../tags/tag.service.js';
import { contactSearchText } from '../search/search-text.js';
import { once } from '../idempotency/idempotency.js';
import { memberIds, memberOrReject } from '../identity/members.js';
import { User } from '../identity/user.entity.js';
import { contacts } from './contact.records.js';
import { CONTACT_SCOPE, COMPANY_SCOPE } from './record-scope.js';
import { erasedFields, recordAuditAs } from '../audit/audit-log.js';
import { runBeforeHooks } from '../../events/before-hooks.js';
import { emitEvent } from '../../events/emit.js';
import { contactTagsChanged } from '../../events/kernel-events.js';
import { rejectSuppressedEmails } from '../privacy/suppression.js';
import { consentNoteFields, noteConsent } from '../consent/consent.js';

export const CONTACT = 'Contact';

const fields = {
  firstName: optionalText(200),
  lastName: optionalText(200),
  emails: emailList,
  phones: phoneList,
  jobTitle: optionalText(200),
  companyId: z.string().nullish(),
  address: address.nullish(),
  ownerId: z.string().nullish(),
  tagIds: z.array(z.string()).max(100, { message: 'at most 100 tags' }),
  lifecycleStage: z.enum(LifecycleStage).nullish(),
  source: optionalText(120),
  marketingConsent: z.enum(ConsentStatus).nullish(),
  doNotContact: z.boolean().nullish(),
  doNotEmail: z.boolean().nullish(),
  doNotCall: z.boolean().nullish(),
  customFields: z.unknown().optional(),
  idempotencyKey: z.string().nullish(),
  ...consentNoteFields,
};
const createSchema = z.object({
  ...fields,
  emails: fields.emails.default([]),
  phones: fields.phones.default([]),
  tagIds: fields.tagIds.default([]),
});
const updateSchema = z.object({ id: z.string(), version: z.number().int() }).extend(z.object(fields).partial().shape);
type ContactData = Partial<z.infer<typeof createSchema>>;

export { contactNameSql } from './contact.records.js';

/** The name shown for a contact: the full name, else the primary email. */
export function contactDisplayName(c: Pick<Contact, 'firstName' | 'lastName' | 'primaryEmail'>): string {
  return [c.firstName, c.lastName].filter(Boolean).join(' ') || c.primaryEmail || '';
}

/** A contact of the caller's workspace by global id; null when missing, foreign or outside the caller's read scope. */
export function findContact(ctx: RequestContext, globalId: string, field = 'id'): Promise<Contact | null> {
  return contacts.find(ctx, globalId, field);
}

/**
 * A live company of the workspace for a contact's `companyId`; rejects unknown, foreign and trashed ones, and (given
 * the caller's context) companies outside the caller's read scope, as if they did not exist.
 */
export async function companyIdOrReject(
  em: SqlEntityManager,
  workspaceId: string,
  globalId: string | null | undefined,
  field = 'companyId',
  ctx?: RequestContext,
): Promise<Company | null | undefined> {
  if (globalId === undefined) return undefined;
  if (globalId === null) return null;
  const id = expectGlobalId(globalId, 'Company', field);
  const company = await em.findOne(Company, { id, workspaceId, deletedAt: null });
  if (!company || (ctx && !ctx.principal.access.reaches(COMPANY_SCOPE.read, [company.owner?.id]))) {
    throw InputRejected.one(field, 'company not found in this workspace', ErrorCode.NOT_FOUND);
  }
  return company;
}

/**
 * The owner of a record being created or re-assigned. Creating without an owner makes the caller the owner. An
 * explicit owner (or none, with `null`) must be within the caller's `update` scope: someone whose scope is OWN
 * cannot hand records to others, TEAM keeps them in the caller's teams, ALL may choose anyone (FORBIDDEN otherwise).
 */
export async function ownerOrReject(
  ctx: RequestContext,
  updatePermission: string,
  globalId: string | null | undefined,
  creating: boolean,
  field = 'ownerId',
): Promise<User | null | undefined> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  if (globalId === undefined) {
    if (!creating) return undefined;
    return ctx.principal.userId && (await memberIds(em, workspaceId, [ctx.principal.userId])).has(ctx.principal.userId)
      ? em.getReference(User, ctx.principal.userId)
      : null;
  }
  const owner = await memberOrReject(em, workspaceId, globalId, field);
  if (ctx.principal.access.scope(updatePermission) !== 'ALL' && !ctx.principal.access.reaches(updatePermission, [owner?.id])) {
    throw InputRejected.one(
      field,
      owner ? 'you may not assign records to this member' : 'you may not leave a record without an owner',
      ErrorCode.FORBIDDEN,
    );
  }
  return owner;
}

function applyContactFields(contact: Contact, data: ContactData) {
  if (data.firstName !== undefined) contact.firstName = data.firstName;
  if (data.lastName !== undefined) contact.lastName = data.lastName;
  if (data.emails !== undefined) {
    contact.emails = data.emails;
    contact.primaryEmail = data.emails.find((e) => e.primary)?.email ?? null;
  }
  if (data.phones !== undefined) contact.phones = data.phones;
  if (data.jobTitle !== undefined) contact.jobTitle = data.jobTitle;
  if (data.address !== undefined) contact.address = data.address;
  if (data.lifecycleStage !== undefined) contact.lifecycleStage = data.lifecycleStage ?? LifecycleStage.LEAD;
  if (data.source !== undefined) contact.source = data.source;
  if (data.marketingConsent !== undefined) {
    const consent = data.marketingConsent ?? ConsentStatus.UNKNOWN;
    if (consent !== contact.marketingConsent) {
      contact.marketingConsent = consent;
      contact.consentUpdatedAt = new Date();
    }
  }
  if (data.doNotContact !== undefined) contact.doNotContact = data.doNotContact ?? false;
  if (data.doNotEmail !== undefined) contact.doNotEmail = data.doNotEmail ?? false;
  if (data.doNotCall !== undefined) contact.doNotCall = data.doNotCall ?? false;
  noteConsent(contact, { source: data.consentSource, legalBasis: data.legalBasis });
  refreshContactSearchText(contact);
}

export function refreshContactSearchText(contact: Contact): void {
  contact.searchText = contactSearchText(contact);
}

function requireIdentity(contact: Contact) {
  if (!contact.firstName && !contact.lastName && contact.emails.length === 0) {
    throw InputRejected.one('firstName', 'a contact needs at least a first name, a last name or an email address');
  }
}

export async function createContact(ctx: RequestContext, input: unknown): Promise<Contact> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const data = await runBeforeHooks(ctx, 'contact.create', parseInput(createSchema, input));
  const { id } = await once(em, workspaceId, 'createContact', data.idempotencyKey, async () => {
    await rejectSuppressedEmails(em, workspaceId, data.emails);
    const contact = em.create(Contact, { workspaceId } as Contact);
    applyContactFields(contact, data);
    requireIdentity(contact);
    contact.company = (await companyIdOrReject(em, workspaceId, data.companyId, 'companyId', ctx)) ?? null;
    contact.owner = (await ownerOrReject(ctx, CONTACT_SCOPE.update, data.ownerId, true)) ?? null;
    contact.customFields = mergeCustomValues(await definitionsFor(ctx, CONTACT), {}, data.customFields, { creating: true });
    const tagIds = await resolveTagIds(em, data.tagIds, 'tagIds');
    await em.flush();
    await setTags(em, contact.workspaceId, CONTACT, contact.id, tagIds);
    return contact.id;
  });
  return em.findOneOrFail(Contact, { id });
}

/**
 * Loads a live contact for editing and checks the version the client edited. A contact outside the caller's
 * `permission` scope (update, or delete for trashing) is NOT_FOUND, exactly like a missing one.
 */
export function contactForUpdate(
  ctx: RequestContext,
  globalId: string,
  version: number | null | undefined,
  field = 'id',
  permission = CONTACT_SCOPE.update,
): Promise<Contact> {
  return contacts.forUpdate(ctx, globalId, version, { field, permission });
}

export async function updateContact(ctx: RequestContext, input: unknown): Promise<Contact> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const data = await runBeforeHooks(ctx, 'contact.update', parseInput(updateSchema, input));
  const contact = await contactForUpdate(ctx, data.id!, data.version);
  await rejectSuppressedEmails(em, workspaceId, data.emails);
  applyContactFields(contact, data);
  requireIdentity(contact);
  const company = await companyIdOrReject(em, workspaceId, data.companyId, 'companyId', ctx);
  if (company !== undefined) contact.company = company;
  const owner = await ownerOrReject(ctx, CONTACT_SCOPE.update, data.ownerId, false);
  if (owner !== undefined) contact.owner = owner;
  if (data.customFields !== undefined) {
    contact.customFields = mergeCustomValues(await definitionsFor(ctx, CONTACT), contact.customFields, data.customFields, {
      creating: false,
    });
  }
  if (data.tagIds !== undefined) await replaceTags(em, contact, await resolveTagIds(em, data.tagIds, 'tagIds'));
  contact.updatedAt = new Date();
  await em.flush();
  return contact;
}

/** Replaces a contact's tags; when they changed, `contact.tagsChanged` says which (segments follow it). */
async function replaceTags(em: SqlEntityManager, contact: Contact, tagIds: string[]): Promise<void> {
  const rows = await em.execute<{ tag_id: string }[]>('select tag_id from contact_tag where contact_id = ?', [contact.id]);
  const before = new Set(rows.map((r) => String(r.tag_id)));
  await setTags(em, contact.workspaceId, CONTACT, contact.id, tagIds);
  const added = tagIds.filter((id) => !before.has(id));
  const removed = [...before].filter((id) => !tagIds.includes(id));
  if (added.length || removed.length)
    await emitEvent(em, contactTagsChanged, { id: contact.id, added, removed }, { workspaceId: contact.workspaceId });
}

/** Moves a contact to the trash. */
export function deleteContact(ctx: RequestContext, globalId: string, version?: number | null): Promise<Contact> {
  return contacts.trash(ctx, globalId, version);
}

export function restoreContact(ctx: RequestContext, globalId: string): Promise<Contact> {
  return contacts.restore(ctx, globalId);
}

/** Erases a trashed contact for good, with its tags and timeline links. */
export async function purgeContact(ctx: RequestContext, globalId: string): Promise<string> {
  const em = ctx.em;
  const id = expectGlobalId(globalId, CONTACT, 'id');
  const contact = await em.findOne(Contact, { id, deletedAt: { $ne: null } });
  if (!contact || !ctx.principal.access.reaches(CONTACT_SCOPE.delete, [contact.owner?.id]))
    throw InputRejected.one('id', 'only a contact in the trash can be purged', ErrorCode.NOT_FOUND);
  await em.execute('delete from timeline_link where workspace_id = ? and target_type = ? and target_id = ?', [
    contact.workspaceId,
    CONTACT,
    id,
  ]);
  await em.execute('delete from contact_tag where contact_id = ?', [id]);
  await em.nativeDelete(Contact, { id });
  await recordAuditAs(ctx, { action: 'contact.purged', objectType: CONTACT, objectId: id, changes: erasedFields(em, contact) });
  return id;
}
