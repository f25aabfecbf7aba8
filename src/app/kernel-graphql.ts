import type { NonEmptyArray } from 'type-graphql';
import type { RuleDeclarations } from '../graphql/shield/declarations.js';
import { kernelRules } from '../core/kernel.rules.js';
import { authRules } from '../core/auth/auth.rules.js';
import { workspaceAdminRules } from '../core/workspace-admin/workspace-admin.rules.js';
import { auditRules } from '../core/audit/audit.rules.js';
import { AuditResolver } from '../core/audit/audit.resolver.js';
import { eventRules } from '../core/dead-letters/dead-letters.rules.js';
import { integrationRules } from '../core/integrations/integrations.rules.js';
import { IntegrationResolver } from '../core/integrations/integration.resolver.js';
import { DeadLetterResolver } from '../core/dead-letters/dead-letters.resolver.js';
import { kernelNodeTypes } from '../graphql/node-registry.js';
import { workspaceOf } from '../graphql/context.js';
import { memberIds } from '../core/identity/members.js';
import { NodeResolver } from '../graphql/node.resolver.js';
import { authResolvers } from '../core/auth/auth.module.js';
import { Workspace } from '../core/workspaces/workspace.entity.js';
import { WorkspaceResolver } from '../core/workspaces/workspace.resolver.js';
import { User } from '../core/identity/user.entity.js';
import { UserResolver } from '../core/identity/user.resolver.js';
import { Tag } from '../core/tags/tag.entity.js';
import { TagResolver } from '../core/tags/tag.resolver.js';
import { Company } from '../core/customers/company.entity.js';
import { CompanyResolver } from '../core/customers/company.resolver.js';
import { readable } from '../core/customers/record-scope.js';
import { contactResolvers } from '../core/customers/contact.module.js';
import { duplicateResolvers } from '../core/duplicates/duplicates.module.js';
import { activityResolvers } from '../core/activities/activities.module.js';
import { searchResolvers } from '../core/search/search.module.js';
import { importExportResolvers } from '../core/import-export/import-export.module.js';
import { customFieldResolvers } from '../core/custom-fields/custom-fields.module.js';
import { workspaceAdminResolvers } from '../core/workspace-admin/workspace-admin.resolver.js';
import { ModuleResolver } from '../plugin-host/modules/modules.resolver.js';
import { moduleRules } from '../plugin-host/modules/modules.rules.js';
import { EventSubscriptionResolver } from '../core/subscriptions/events.subscription.js';
import { subscriptionRules } from '../core/subscriptions/subscriptions.rules.js';
import { webhookRules } from '../core/webhooks/webhooks.rules.js';
import { webhookResolvers } from '../core/webhooks/webhooks.resolver.js';
import { webhookFanOutSubscriber } from '../core/webhooks/delivery.js';
import { registerSubscriber } from '../events/registry.js';
import { automationResolvers, automationRules, automationSubscriber } from '../core/automation/index.js';
import { emailRules } from '../core/email/email.rules.js';
import { emailResolvers } from '../core/email/email.resolver.js';
import { excludeFromAudit } from '../core/audit/audit.subscriber.js';
import { notificationRules } from '../core/notifications/notifications.rules.js';
import { NotificationResolver } from '../core/notifications/notifications.resolver.js';
import { notificationSubscriber } from '../core/notifications/notification.subscribers.js';
import { PrivacyResolver, privacyRules } from '../core/privacy/index.js';
import { ContactConsentHistoryField, consentRules } from '../core/consent/index.js';

/** Authorization rules of the kernel's GraphQL API, one declaration per area. */
export const kernelRuleDeclarations: RuleDeclarations[] = [
  kernelRules,
  authRules,
  workspaceAdminRules,
  auditRules,
  moduleRules,
  eventRules,
  integrationRules,
  subscriptionRules,
  webhookRules,
  automationRules,
  emailRules,
  notificationRules,
  privacyRules,
  consentRules,
];

/** Resolvers of the kernel's GraphQL API. */
export const kernelResolvers: NonEmptyArray<Function> = [
  NodeResolver,
  WorkspaceResolver,
  UserResolver,
  TagResolver,
  CompanyResolver,
  ...contactResolvers,
  ...duplicateResolvers,
  ...activityResolvers,
  ...searchResolvers,
  ...importExportResolvers,
  ...customFieldResolvers,
  AuditResolver,
  DeadLetterResolver,
  IntegrationResolver,
  ...workspaceAdminResolvers,
  ...authResolvers,
  ModuleResolver,
  EventSubscriptionResolver,
  ...webhookResolvers,
  ...automationResolvers,
  ...emailResolvers,
  NotificationResolver,
  PrivacyResolver,
  ContactConsentHistoryField,
];

// outbound webhooks: every domain event is fanned out to the workspace's matching endpoints (src/core/webhooks)
registerSubscriber(webhookFanOutSubscriber);
// automation rules: every domain event is matched against the workspace's rules (src/core/automation)
registerSubscriber(automationSubscriber());

// email_message is itself the log of what was sent: `sendEmail` records one audit entry (`emailMessage.sent`), not the row's fields
excludeFromAudit('EmailMessage');
// consent_change is itself a history, written with the contact's audited update (src/core/consent)
excludeFromAudit('ConsentChange');
// notifications: mentions, task assignments, disabled webhook endpoints (src/core/notifications)
registerSubscriber(notificationSubscriber);

kernelNodeTypes.register({
  typeName: 'Workspace',
  rootClass: Workspace,
  load: async (ctx, id) => (id === ctx.principal.workspaceId ? ctx.em.findOne(Workspace, { id }) : null),
});
kernelNodeTypes.register({
  typeName: 'User',
  rootClass: User,
  permission: 'user:read',
  load: async (ctx, id) => ((await memberIds(ctx.em, workspaceOf(ctx), [id])).has(id) ? ctx.loaders.byId(User).load(id) : null),
});
kernelNodeTypes.register({ typeName: 'Tag', rootClass: Tag, permission: 'tag:read', load: (ctx, id) => ctx.loaders.byId(Tag).load(id) });
kernelNodeTypes.register({
  typeName: 'Company',
  rootClass: Company,
  permission: 'company:read',
  load: (ctx, id) => readable(ctx, 'Company').load(id),
});
