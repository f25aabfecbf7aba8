/**
 * Row-level security: the second line of workspace isolation on PostgreSQL (the first is the ORM's `tenant`
 * filter plus the workspace conditions in hand-written SQL).
 *
 * - Policies: migrations/Migration20261123190000RowLevelSecurity.ts. A migration that adds a table with a
 *   workspace_id column must enable them for it: `this.addSql(tenantRlsSql('my_table'))`. test/db/rls.test.ts fails
 *   for any such table left without RLS.
 * - The API's role: app-role.ts (not the owner, no superuser, no BYPASSRLS).
 * - The tenant context: request-session.ts sets it per request; background work uses `withWorkspace`.
 */
export { APP_ROLE, appRoleUrl, assertAppRole, provisionAppRole, roleFacts, type RoleFacts } from './app-role.js';
export {
  SET_TENANT_SQL,
  USER_SETTING,
  WORKSPACE_SETTING,
  setTenantContext,
  tenantParams,
  withWorkspace,
  type TenantContext,
} from './tenant-context.js';

/** The statement a migration adds to put a new tenant table (with a workspace_id column) under the policies. */
export function tenantRlsSql(table: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`tenantRlsSql: "${table}" is not a plain table name`);
  return `select crm_rls.enable_tenant_rls('"${table}"')`;
}
