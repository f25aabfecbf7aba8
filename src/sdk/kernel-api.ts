/**
 * Kernel services a plugin calls: its own domain events, kernel writes with the same validation, audit and events as
 * the GraphQL mutations (from resolvers, subscribers and jobs), record scope, custom fields, tags, filters and the
 * workspace's settings of the plugin. Re-exported by `src/sdk/index.ts`.
 */
import type { SqlEntityManager } from '@mikro-orm/sql';
import { requestContextAs } from '../graphql/act-as.js';
import type { RequestContext } from '../graphql/context.js';
import { moduleHostOf } from '../plugin-host/modules/module-host.js';
import { effectiveSettings } from '../plugin-host/modules/modules.service.js';
import type { PluginContext } from '../plugin-host/manifest.js';
import { contacts } from '../core/customers/contact.records.js';
import { companies } from '../core/customers/company.records.js';
import type { Contact } from '../core/customers/contact.entity.js';
import type { Company } from '../core/customers/company.entity.js';
import { readable } from '../core/customers/record-scope.js';
import { ErrorCode, InputRejected } from '../graphql/errors.js';
import { expectGlobalId } from '../graphql/global-id.js';
import { Sql, sql } from '../db/sql.js';

// ---- events and hooks ----
/** Emits the plugin's own domain event inside the current write; delivered after commit, never if it rolls back. */
export { emitEvent, emitEvents } from '../events/emit.js';
/** Enqueues a run of one of the plugin's `jobs` (optionally delayed: `startAfter`), in the current write's transaction. */
export { enqueueJob } from '../plugin-host/jobs/plugin-jobs.js';
/** Runs the before hooks registered `on` a write (a plugin's own writes too: `deal.create` …) on a draft. */
export { runBeforeHooks } from '../events/before-hooks.js';

// ---- automation rules: a manifest's `automation` (record types, actions `<plugin>.<name>`, default rules) ----
export {
  defineAutomationAction,
  type ActionContext,
  type AutomationAction,
  type AutomationContribution,
  type AutomationField,
  type AutomationRecordType,
  type DefaultRule,
  type Facts,
  type RecordPatch,
} from '../core/automation/index.js';

// ---- kernel writes (inputs exactly as the GraphQL mutations take them: global ids, validated, audited, evented) ----
export { logActivity, setTaskCompleted } from '../core/activities/activity.service.js';
export { updateContact } from '../core/customers/contact.service.js';
export { updateCompany } from '../core/customers/company.service.js';
/** Consent changes by someone other than the request's member or key (an unsubscribe link…), kept in `Contact.consentHistory`. */
export { changeContactConsent, type ChangeContactConsentInput } from '../core/consent/change-consent.js';
export { ConsentActorKind } from '../core/consent/consent-change.entity.js';

// ---- notifications (src/core/notifications) ----
/**
 * `notify(em, { workspaceId, userIds, type, title, … })` notifies members in the current transaction (one statement,
 * preferences honoured, idempotent by `sourceEventId`). The plugin's own types go in its manifest's `notificationTypes`.
 */
export { notify, type NotifyInput } from '../core/notifications/notifications.service.js';
export type { NotificationTypeDeclaration, NotificationChannel } from '../core/notifications/notification-types.js';

// ---- record scope (own / team / all) for the plugin's own record types ----
export { scopeSql, reaches, type RecordScope } from '../core/customers/record-scope.js';
export { expectVersion, asUserErrors } from '../core/shared/mutation.js';
export { memberOrReject, memberIds } from '../core/identity/members.js';

// ---- input validation, money, filters ----
export { parseInput, trimmed, optionalText, currencyCode, money } from '../core/shared/validation.js';
export { Money, MoneyInput } from '../core/shared/value-types.js';
export { LifecycleStage } from '../core/shared/value-objects.js';
export {
  SortDirection,
  StringFilter,
  IntFilter,
  DateTimeFilter,
  IdFilter,
  CustomFieldFilter,
  stringFilterSql,
  numberFilterSql,
  dateFilterSql,
  idFilterSql,
} from '../core/shared/filters.js';
export { selectedFields } from '../graphql/selection.js';

// ---- custom fields and tags on the plugin's records ----
export { definitionsFor, mergeCustomValues, customFilterSql, customFieldExprOrReject } from '../core/custom-fields/custom-field.service.js';
/** Tags of the plugin's taggable record types (declared with `tags` on the record type): replace, load batched. */
export { resolveTagIds, setTags, tagsLoader } from '../core/tags/tag.service.js';
export { Tag } from '../core/tags/tag.entity.js';
export { TagNode } from '../core/tags/tag.types.js';
export { UserNode } from '../core/identity/user.types.js';
export { User } from '../core/identity/user.entity.js';
export { Company } from '../core/customers/company.entity.js';
export { Contact, ConsentStatus } from '../core/customers/contact.entity.js';
/** For plugin tables without an `id` (composite keys) that still reference their workspace. */
export { Workspace } from '../core/workspaces/workspace.entity.js';

/**
 * The workspace's settings of a plugin, defaults filled in — inside a resolver of the plugin (read once per request).
 * Subscribers and jobs receive theirs as `context.settings`.
 */
export async function pluginSettings<T = Record<string, unknown>>(ctx: RequestContext, pluginId: string): Promise<T> {
  const host = moduleHostOf(ctx);
  const plugin = host.plugin(pluginId);
  if (!plugin) throw new Error(`pluginSettings: plugin "${pluginId}" is not installed`);
  const loader = ctx.loaders.get<string, Record<string, unknown>>('plugin.settings', async (ids, c) => {
    const rows = await host.readRows(c.em, c.principal.workspaceId!);
    return ids.map((id) => effectiveSettings(host.plugin(id)!, rows.get(id)?.settings));
  });
  return (await loader.load(pluginId)) as T;
}

/**
 * A request context for background work (subscribers, jobs, lifecycle callbacks) acting in the context's workspace
 * and transaction: as the member `userId` (their role and scope; audited as them), or — `null`, or not a member —
 * as the system with the owner's permissions (audited without a user). Pass it to kernel services
 * (`logActivity`, `updateContact`, …): they validate, audit and emit events exactly as the mutations do, and what
 * they write commits or rolls back with the subscriber's delivery / the job's run.
 */
export async function actAs<T>(context: PluginContext, userId: string | null, work: (ctx: RequestContext) => Promise<T>): Promise<T> {
  const workspaceId = context.workspaceId;
  if (!workspaceId) throw new Error('actAs needs a workspace (PluginContext.workspaceId is null)');
  return work(await requestContextAs(context.em as SqlEntityManager, workspaceId, userId));
}

// ---- additions for record types of plugins (pipeline plugin) ----
/** Keyset pages of one list for many parents in one statement (`Company.deals` of every company on a page). */
export { keysetPagesByParent } from '../graphql/keyset-page.js';
/** The columns `readRow(s)` reads for an entity, qualified by an alias (the `select` of a `ListQuery`). */
export { readColumns } from '../db/read-rows.js';
/** `timeline` and `activities` fields (the kernel's, as on Company) for a plugin's node type: `timelineFieldsFor(DealNode, 'Deal')`. */
export { timelineFieldsFor } from '../core/timeline/timeline.resolver.js';

/** The JSON scalar of custom field values (one instance across kernel and plugins). */
export { GraphQLJSON } from 'graphql-scalars';

// ---- kernel records a plugin reads (always with the caller's record scope) ----
// Plugins never name kernel tables in SQL (test/plugin-host/plugin-boundary.test.ts fails on it): these are the reads
// they need. `ctx` is the caller's request context (or `actAs`'s in background work): a record the caller may not
// read does not exist for the plugin either.

type LiveRecord = { id: string; deletedAt?: Date | null };
const live = <T extends LiveRecord>(record: T | null | undefined): T | null => (record && record.deletedAt == null ? record : null);

/** The live (not trashed) contact with this id (uuid) the caller may read; null when missing, foreign, trashed or out of scope. Batched per request. */
export async function readableContact(ctx: RequestContext, id: string): Promise<Contact | null> {
  return live(await contacts.readable(ctx).load(id));
}

/** The live company with this id (uuid) the caller may read; null otherwise. Batched per request. */
export async function readableCompany(ctx: RequestContext, id: string): Promise<Company | null> {
  return live(await companies.readable(ctx).load(id));
}

/** Which of `ids` (uuids) are live contacts the caller may read (one statement per batch). */
export async function readableContactIds(ctx: RequestContext, ids: readonly string[]): Promise<Set<string>> {
  const rows = await contacts.readable(ctx).loadMany([...ids]);
  return new Set(rows.flatMap((r) => (r && !(r instanceof Error) && live(r) ? [r.id] : [])));
}

/** Which of `ids` (uuids) are live companies the caller may read (one statement per batch). */
export async function readableCompanyIds(ctx: RequestContext, ids: readonly string[]): Promise<Set<string>> {
  const rows = await companies.readable(ctx).loadMany([...ids]);
  return new Set(rows.flatMap((r) => (r && !(r instanceof Error) && live(r) ? [r.id] : [])));
}

/**
 * A contact for a plugin's write, by global id: the live contact the caller may read, else `InputRejected` on
 * `field` with NOT_FOUND — a contact out of the caller's scope is answered exactly like a missing one.
 */
export async function contactOrReject(
  ctx: RequestContext,
  globalId: string,
  field = 'contactId',
  message = 'contact not found in this workspace',
): Promise<Contact> {
  const contact = await readableContact(ctx, expectGlobalId(globalId, 'Contact', field));
  if (!contact) throw InputRejected.one(field, message, ErrorCode.NOT_FOUND);
  return contact;
}

/** Like `contactOrReject`, for companies. */
export async function companyOrReject(
  ctx: RequestContext,
  globalId: string,
  field = 'companyId',
  message = 'company not found in this workspace',
): Promise<Company> {
  const company = await readableCompany(ctx, expectGlobalId(globalId, 'Company', field));
  if (!company) throw InputRejected.one(field, message, ErrorCode.NOT_FOUND);
  return company;
}

/**
 * The contacts or companies (uuids) an activity was logged on that the caller may read (live ones), in the order
 * they were linked; none when the caller may not read the activity. E.g. the contacts of `activity.logged`.
 */
export async function activityTargetIds(ctx: RequestContext, activityId: string, type: 'Contact' | 'Company'): Promise<string[]> {
  const activity = await readable(ctx, 'Activity').load(activityId);
  if (!activity) return [];
  const q = sql`select target_id from timeline_link
    where workspace_id = ${ctx.principal.workspaceId} and entry_kind = 'activity' and entry_id = ${activityId} and target_type = ${type}
    order by created_at, target_id`;
  const ids = (await ctx.em.execute<{ target_id: string }[]>(q.text, q.params)).map((r) => r.target_id);
  const visible = type === 'Contact' ? await readableContactIds(ctx, ids) : await readableCompanyIds(ctx, ids);
  return ids.filter((id) => visible.has(id));
}

/** Most addresses one `contactIdsByEmail` statement looks up. */
const EMAILS_PER_LOOKUP = 1000;

/**
 * The live contacts the caller may read that hold these addresses (any of a contact's emails, case-insensitive):
 * lower-cased address → contact id; when several contacts share an address, the one holding it as primary, then
 * the oldest. Refused (FORBIDDEN) when the caller's field allowlist hides contacts' emails, like the `email` filter.
 */
export async function contactIdsByEmail(ctx: RequestContext, emails: readonly string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
  const found = new Map<string, string>();
  for (let at = 0; at < wanted.length; at += EMAILS_PER_LOOKUP) {
    const chunk = wanted.slice(at, at + EMAILS_PER_LOOKUP);
    const where = await contacts.where(ctx, { email: { in: chunk } } as never, 'c');
    const q = sql`select distinct on (lower(e.value->>'email')) lower(e.value->>'email') as email, c.id
      from contact c cross join lateral jsonb_array_elements(c.emails) as e(value)
      where ${where} and lower(e.value->>'email') in (${Sql.join(
        chunk.map((email) => sql`${email}`),
        ', ',
      )})
      order by lower(e.value->>'email'), (c.primary_email = lower(e.value->>'email')) desc, c.created_at, c.id`;
    for (const row of await ctx.em.execute<{ email: string; id: string }[]>(q.text, q.params)) found.set(row.email, row.id);
  }
  return found;
}

/** The user ids of the workspace's members, longest-standing first (at most `limit`). */
export async function workspaceMemberIds(ctx: RequestContext, limit = 1000): Promise<string[]> {
  const q = sql`select user_id from membership where workspace_id = ${ctx.principal.workspaceId} order by created_at, user_id limit ${limit}`;
  return (await ctx.em.execute<{ user_id: string }[]>(q.text, q.params)).map((r) => r.user_id);
}

// ---- transactional email (src/core/email) ----
/**
 * `sendEmail(em, { workspaceId, actorId, to?, templateKey | templateId | content, contactId?, data?, source?, headers?,
 * from?, prerendered? })` renders (or, `prerendered`, takes `content` as final) and records an email (on the
 * contact's timeline) and queues its delivery, in the caller's transaction; `renderEmailTemplate(em, …)` renders
 * without writing. Bad input throws `InputRejected` (typed user errors).
 */
export { sendEmail, renderEmail as renderEmailTemplate, type SendEmailInput, type RenderEmailInput } from '../core/email/index.js';

// ---- public links: signed tokens and the URLs of the plugin's `httpRoutes` ----
/**
 * `signToken(em, purpose, data)` → a short URL-safe token (HMAC-SHA256 under a key derived per purpose from the app's
 * ENCRYPTION_KEY keyring; the newest key signs, every listed key verifies); `verifyToken(em, purpose, token)` → the
 * data, or null for anything altered, truncated, of another purpose or under a removed key (never throws on the token).
 * `em` may also be a plugin or request context. Prefix purposes with the plugin id (`campaigns.open`).
 */
export { signToken, verifyToken } from '../core/encryption/signed-tokens.js';
/** `pluginRouteUrl(context | ctx | em, pluginId, '/t/o/<token>')` → `<API_PUBLIC_URL>/plugins/<pluginId>/t/o/<token>`. */
export { pluginRouteUrl } from '../http/public-url.js';

// Privacy: a plugin's part of export and erasure (manifest field `privacy`), and the suppression list of erased addresses.
export { isEmailSuppressed, suppressedEmails } from '../core/privacy/suppression.js';
export { ErasureMode, type PrivacyHandler, type PrivacySubject, type ErasedRows } from '../core/privacy/privacy-provider.js';

// ---- contact segments (src/core/contact-queries): rules compiled to SQL, their queries, and the facts plugins add ----
/**
 * `validateContactRules(ctx, rules, path?)` checks a segment's rules for their author (InputRejected with every
 * problem) and compiles them; `countContacts`, `contactIdsMatching` and `contactsMatching` run them in one statement
 * within the caller's contact read scope; `contactsAffectedBy(ctx, event)` and `rulesAffectedBy(compiled, affected)`
 * tell which contacts of which segments an event can move. A plugin contributes facts with `defineContactFact` in its
 * manifest's `contactFacts`.
 */
export {
  validateContactRules,
  countContacts,
  contactIdsMatching,
  contactsMatching,
  contactsAffectedBy,
  rulesAffectedBy,
  defineContactFact,
  CONTACT_RULE_LIMITS,
  type ContactRule,
  type FieldRule,
  type FactRule,
  type CompiledContactRules,
  type ContactRuleDependencies,
  type ContactQueryOptions,
  type ContactIdsOptions,
  type AffectedContacts,
  type ContactFact,
  type ContactFactTarget,
} from '../core/contact-queries/index.js';
