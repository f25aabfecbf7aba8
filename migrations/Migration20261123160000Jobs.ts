import { Migration } from '@mikro-orm/migrations';

/**
 * Scheduled jobs (src/plugin-host/jobs): `job_run`, one row per plugin × job × workspace holding when the job last started
 * there — the claim that lets several processes run a job at most once per interval. Row-level security: the tenant
 * policy (the runner claims and runs inside each workspace's tenant context). On a fresh database this runs before
 * Migration20261123190000RowLevelSecurity, which enables it for every table with a workspace_id; where that migration
 * already ran, it is enabled here (the statement of `tenantRlsSql`, when the function exists).
 */
export class Migration20261123160000Jobs extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "job_run" ("plugin_id" varchar(100) not null, "job" varchar(200) not null, "workspace_id" uuid not null, "last_started_at" timestamptz not null, primary key ("plugin_id", "job", "workspace_id"))`,
    );
    this.addSql(`do $$ begin
      if to_regprocedure('crm_rls.enable_tenant_rls(regclass)') is not null then perform crm_rls.enable_tenant_rls('"job_run"'); end if;
    end $$`);
  }
}
