import type { SqlEntityManager } from '@mikro-orm/sql';
import { attachAuditActor, auditActorFor } from '../db/audit-context.js';
import { builtinRoles } from '../permissions/builtin-roles.js';
import { accessFor, memberPrincipal, type Principal } from '../permissions/principal.js';
import type { RequestContext } from './context.js';
import { createLoaders } from './loaders.js';

/**
 * A request context for background work (subscribers, jobs, automation runs) acting as a member of the workspace —
 * their role, scopes and field allowlist — or, for null or someone no longer a member, as the system (the Owner's
 * permissions, audited without a user). Writes through `em` are audited with that actor.
 */
export async function requestContextAs(em: SqlEntityManager, workspaceId: string, userId: string | null): Promise<RequestContext> {
  let principal: Principal | null = userId ? await memberPrincipal(em, workspaceId, userId) : null;
  if (!principal) {
    const owner = builtinRoles.OWNER();
    principal = {
      kind: 'user',
      workspaceId,
      userId: null,
      apiKeyId: null,
      sessionId: null,
      roleKey: owner.key,
      access: await accessFor(em, workspaceId, null, owner),
    };
  }
  attachAuditActor(em, auditActorFor(principal));
  const ctx = { em, principal, ip: '', session: null, config: null, logger: null, orm: null } as unknown as RequestContext;
  ctx.loaders = createLoaders(ctx);
  return ctx;
}
