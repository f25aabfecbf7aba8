import { Migration } from '@mikro-orm/migrations';

/**
 * Workspace isolation's second line: PostgreSQL row-level security on every tenant table.
 *
 * The request session sets `app.workspace_id` (and `app.user_id` when known) with `set_config(..., true)` inside
 * its transaction; the policies compare each row's `workspace_id` with it. Tables are `FORCE`d so even their owner
 * is subject to the policies (superusers and BYPASSRLS roles never are: the API connects as a role that is neither,
 * see src/db/rls/app-role.ts). Unset or empty settings read as null, so a session without a workspace sees no rows.
 *
 * - `crm_rls.enable_tenant_rls(table)`: ENABLE + FORCE and one policy `tenant_isolation` for all commands.
 *   Idempotent. Later migrations (kernel or plugin) call it for every new table with a workspace_id column:
 *   `select crm_rls.enable_tenant_rls('my_table')` (or `this.addSql(tenantRlsSql('my_table'))`, src/db/rls).
 * - `crm_rls.current_workspace_id()` / `current_user_id()`: the settings as uuids, null when unset or empty.
 * - `membership` may additionally be read where `user_id` is the session's `app.user_id` (sign-in lists a user's
 *   workspaces before one is chosen).
 * - `audit_log` (nullable workspace_id): `crm_rls.enable_audit_rls` — SELECT only the session's workspace's rows (rows
 *   without a workspace only when no workspace is set, so INSERT … RETURNING of a failed sign-in works), INSERT of
 *   the session's workspace or of null (failed sign-ins), no UPDATE/DELETE policy at all.
 * - `workspace` and `app_user` carry no workspace_id: they are not tenant tables and stay without RLS.
 *
 * Runs last among the migrations: it enables RLS on every table with a workspace_id column that exists now.
 */
export class Migration20261123190000RowLevelSecurity extends Migration {
  override async up(): Promise<void> {
    // a schema of its own: the ORM's schema diff manages the routines of the entities' schema and would drop these
    this.addSql(`create schema if not exists crm_rls`);
    this.addSql(`create or replace function crm_rls.current_workspace_id() returns uuid language sql stable parallel safe
      as $$ select nullif(current_setting('app.workspace_id', true), '')::uuid $$`);
    this.addSql(`create or replace function crm_rls.current_user_id() returns uuid language sql stable parallel safe
      as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$`);
    this.addSql(`create or replace function crm_rls.enable_tenant_rls(target regclass) returns void language plpgsql as $$
      begin
        execute format('alter table %s enable row level security', target);
        execute format('alter table %s force row level security', target);
        execute format('drop policy if exists tenant_isolation on %s', target);
        execute format('create policy tenant_isolation on %s for all using (workspace_id = crm_rls.current_workspace_id()) with check (workspace_id = crm_rls.current_workspace_id())', target);
      end $$`);
    this.addSql(`create or replace function crm_rls.enable_audit_rls(target regclass) returns void language plpgsql as $$
      begin
        execute format('alter table %s enable row level security', target);
        execute format('alter table %s force row level security', target);
        execute format('drop policy if exists tenant_isolation on %s', target);
        execute format('drop policy if exists audit_read on %s', target);
        execute format('drop policy if exists audit_append on %s', target);
        execute format('create policy audit_read on %s for select using (workspace_id = crm_rls.current_workspace_id() or (workspace_id is null and crm_rls.current_workspace_id() is null))', target);
        execute format('create policy audit_append on %s for insert with check (workspace_id is null or workspace_id = crm_rls.current_workspace_id())', target);
      end $$`);
    this.addSql(`do $$
      declare t record;
      begin
        for t in
          select c.table_schema, c.table_name from information_schema.columns c
            join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name and tb.table_type = 'BASE TABLE'
           where c.column_name = 'workspace_id' and c.table_schema = current_schema()
        loop
          if t.table_name = 'audit_log' then
            perform crm_rls.enable_audit_rls(format('%I.%I', t.table_schema, t.table_name)::regclass);
          else
            perform crm_rls.enable_tenant_rls(format('%I.%I', t.table_schema, t.table_name)::regclass);
          end if;
        end loop;
      end $$`);
    this.addSql(`create policy membership_own_rows on membership for select using (user_id = crm_rls.current_user_id())`);
  }
}
