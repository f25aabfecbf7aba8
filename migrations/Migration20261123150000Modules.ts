import { Migration } from '@mikro-orm/migrations';

/**
 * Per-workspace module state (src/plugin-host/modules): `workspace_module`, one row per workspace × plugin that a
 * workspace enabled, disabled or configured (no row: the plugin's default). Row-level security: the tenant policy.
 * On a fresh database this runs before Migration20261123190000RowLevelSecurity, which then enables it for every
 * table with a workspace_id (this one included); where that migration already ran, it is enabled here.
 */
export class Migration20261123150000Modules extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "workspace_module" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "plugin_id" varchar(100) not null, "enabled" boolean not null, "settings" jsonb null, primary key ("id"))`,
    );
    this.addSql(`create index "workspace_module_workspace_id_index" on "workspace_module" ("workspace_id")`);
    this.addSql(
      `alter table "workspace_module" add constraint "workspace_module_workspace_id_plugin_id_unique" unique ("workspace_id", "plugin_id")`,
    );
    this.addSql(
      `alter table "workspace_module" add constraint "workspace_module_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    // the statement of tenantRlsSql('workspace_module'), when the function exists already
    this.addSql(`do $$ begin
      if to_regprocedure('crm_rls.enable_tenant_rls(regclass)') is not null then perform crm_rls.enable_tenant_rls('"workspace_module"'); end if;
    end $$`);
  }
}
