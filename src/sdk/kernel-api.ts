/**
 * Kernel services a plugin calls: its own domain events, kernel writes with the same validation, audit and events as
 * the GraphQL mutations (from resolvers, subscribers and jobs), record scope, custom fields, tags, filters and the
 * workspace's settings of the plugin. Re-exported by `src/sdk/index.ts`.
 */
import type { SqlEntityManager } from '@mikro-orm/sql';
import { attachAuditActor, auditActorFor } from '../core/audit/audit-context.js';
import { builtinRoles } from '../core/permissions/builtin-roles.js';
import { accessFor, memberPrincipal, type Principal } from '../core/permissions/principal.js';
import { createLoaders } from '../graphql/loaders.js';
import type { RequestContext } from '../graphql/context.js';
import { moduleHostOf } from '../plugin-host/modules/module-host.js';
import { effectiveSettings } from '../plugin-host/modules/modules.service.js';
import type { PluginContext } from './manifest.js';

// ---- events and hooks ----
/** Emits the plugin's own domain event inside the current write; delivered after commit, never if it rolls back. */
export { emitEvent } from '../events/emit.js';
/** Runs the before hooks registered `on` a write (a plugin's own writes too: `deal.create` …) on a draft. */
export { runBeforeHooks } from '../events/before-hooks.js';

// ---- kernel writes (inputs exactly as the GraphQL mutations take them: global ids, validated, audited, evented) ----
export { logActivity, setTaskCompleted } from '../core/activities/activity.service.js';
export { updateContact } from '../core/customers/contact.service.js';
export { updateCompany } from '../core/customers/company.service.js';

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
export { Contact } from '../core/customers/contact.entity.js';
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
  const em = context.em as SqlEntityManager;
  let principal: Principal | null = userId ? await memberPrincipal(em, workspaceId, userId) : null;
  if (!principal) {
    const owner = builtinRoles.OWNER();
    principal = { kind: 'user', workspaceId, userId: null, apiKeyId: null, sessionId: null, roleKey: owner.key, access: await accessFor(em, workspaceId, null, owner) };
  }
  attachAuditActor(em, auditActorFor(principal));
  const ctx = { em, principal, ip: '', session: null, config: null, logger: null, orm: null } as unknown as RequestContext;
  ctx.loaders = createLoaders(ctx);
  return work(ctx);
}

// ---- additions for record types of plugins (pipeline plugin) ----
/** Keyset pages of one list for many parents in one statement (`Company.deals` of every company on a page). */
export { keysetPagesByParent } from '../db/keyset-page.js';
/** The columns `readRow(s)` reads for an entity, qualified by an alias (the `select` of a `ListQuery`). */
export { readColumns } from '../db/read-rows.js';
/** `timeline` and `activities` fields (the kernel's, as on Company) for a plugin's node type: `timelineFieldsFor(DealNode, 'Deal')`. */
export { timelineFieldsFor } from '../core/timeline/timeline.resolver.js';

/** The JSON scalar of custom field values (one instance across kernel and plugins). */
export { GraphQLJSON } from 'graphql-scalars';
