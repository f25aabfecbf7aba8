import { Migration } from '@mikro-orm/migrations';

/**
 * Plugins' jobs run on the job queue (pg-boss, schema `pgboss`, installed and migrated by pg-boss itself when the
 * server starts: src/queue/job-queue.ts), so the interval runner's `job_run` claims go. The `job_scheduler` read policy
 * stays on `workspace_module`: the queue's scheduler reads every workspace's module rows through it.
 */
export class Migration20261207010000JobQueue extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop table if exists "job_run"`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `create table "job_run" ("plugin_id" varchar(100) not null, "job" varchar(200) not null, "workspace_id" uuid not null, "last_started_at" timestamptz not null, primary key ("plugin_id", "job", "workspace_id"))`,
    );
    this.addSql(`select crm_rls.enable_tenant_rls('"job_run"')`);
    this.addSql(`create policy job_scheduler on "job_run" for select using (current_setting('app.job_scheduler', true) = 'on')`);
  }
}
