import type { SqlEntityManager } from '@mikro-orm/sql';
import { PgliteDriver } from '@mikro-orm/pglite';
import { isPglite, type Orm } from '../orm.js';

/** The settings the row-level-security policies read (migrations/Migration20261123190000RowLevelSecurity.ts). */
export const WORKSPACE_SETTING = 'app.workspace_id';
export const USER_SETTING = 'app.user_id';

export interface TenantContext {
  workspaceId: string | null;
  /** Known for signed-in members and API keys; lets `membership` rows of the user be read across workspaces. */
  userId?: string | null;
}

/**
 * One statement that sets the tenant context for the rest of the current transaction (`set_config(…, true)`: it
 * ends with the transaction, so a pooled connection never carries it into another request). Params use `?`.
 */
export const SET_TENANT_SQL = `select set_config('${WORKSPACE_SETTING}', ?, true), set_config('${USER_SETTING}', ?, true)`;

export const tenantParams = (context: TenantContext): [string, string] => [context.workspaceId ?? '', context.userId ?? ''];

/**
 * Sets the tenant context for the rest of `em`'s current transaction — e.g. a request that learns its workspace or
 * user only midway (sign-in, token refresh) before it reads or writes that workspace's rows: `setTenantContext(tx.em,
 * { workspaceId, userId })`. Inside a savepoint (runMutation) it lasts past the savepoint's release, not past its
 * rollback. PGlite outside a transaction: nothing to do (the policies do not apply to its superuser).
 */
export async function setTenantContext(em: SqlEntityManager, context: TenantContext): Promise<void> {
  if (!em.isInTransaction()) {
    if (em.config.get('driver') === PgliteDriver) return;
    throw new Error('setTenantContext needs a transaction: the setting is transaction-local');
  }
  await em.execute(SET_TENANT_SQL, tenantParams(context));
}

/**
 * Runs background work (outside any request: imports, seeds, jobs) in one workspace: a fresh fork with the
 * `tenant` filter set and, on PostgreSQL, one transaction whose tenant context is set, so the row-level-security
 * policies let the application role see and write that workspace's rows. Commits when `work` resolves, rolls back
 * when it throws. On PGlite (one shared connection, policies not enforced for its superuser) it is a plain fork
 * without a transaction, like a request session there.
 */
export async function withWorkspace<T>(
  orm: Orm,
  workspaceId: string,
  work: (em: SqlEntityManager) => Promise<T>,
  options: { userId?: string | null } = {},
): Promise<T> {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  em.setFilterParams('tenant', { workspaceId });
  if (isPglite(orm)) return work(em);
  return em.transactional(async (tx) => {
    await setTenantContext(tx as SqlEntityManager, { workspaceId, userId: options.userId });
    return work(tx as SqlEntityManager);
  });
}
