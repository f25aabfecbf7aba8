import type { NonEmptyArray } from 'type-graphql';
import type { RuleDeclarations } from '../graphql/shield/declarations.js';
import { kernelRules } from './kernel.rules.js';
import { authRules } from './auth/auth.rules.js';
import { workspaceAdminRules } from './workspace-admin/workspace-admin.rules.js';
import { auditRules } from './audit/audit.rules.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { eventRules } from '../events/events.rules.js';
import { DeadLetterResolver } from '../events/dead-letters.resolver.js';
import { kernelNodeTypes } from '../graphql/node-registry.js';
import { workspaceOf } from '../graphql/context.js';
import { memberIds } from './identity/members.js';
import { NodeResolver } from '../graphql/node.resolver.js';
import { authResolvers } from './auth/auth.module.js';
import { Workspace } from './workspaces/workspace.entity.js';
import { WorkspaceResolver } from './workspaces/workspace.resolver.js';
import { User } from './identity/user.entity.js';
import { UserResolver } from './identity/user.resolver.js';
import { Tag } from './tags/tag.entity.js';
import { TagResolver } from './tags/tag.resolver.js';
import { Company } from './customers/company.entity.js';
import { CompanyResolver } from './customers/company.resolver.js';
import { readable } from './customers/record-scope.js';
import { contactResolvers } from './customers/contact.module.js';
import { duplicateResolvers } from './duplicates/duplicates.module.js';
import { activityResolvers } from './activities/activities.module.js';
import { searchResolvers } from './search/search.module.js';
import { importExportResolvers } from './import-export/import-export.module.js';
import { customFieldResolvers } from './custom-fields/custom-fields.module.js';
import { workspaceAdminResolvers } from './workspace-admin/workspace-admin.resolver.js';
import { ModuleResolver } from '../plugin-host/modules/modules.resolver.js';
import { moduleRules } from '../plugin-host/modules/modules.rules.js';
import { EventSubscriptionResolver } from '../events/subscriptions/events.subscription.js';
import { subscriptionRules } from '../events/subscriptions/subscriptions.rules.js';

/** Authorization rules of the kernel's GraphQL API, one declaration per area. */
export const kernelRuleDeclarations: RuleDeclarations[] = [kernelRules, authRules, workspaceAdminRules, auditRules, moduleRules, eventRules, subscriptionRules];

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
  ...workspaceAdminResolvers,
  ...authResolvers,
  ModuleResolver,
  EventSubscriptionResolver,
];

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
kernelNodeTypes.register({ typeName: 'Company', rootClass: Company, permission: 'company:read', load: (ctx, id) => readable(ctx, 'Company').load(id) });
