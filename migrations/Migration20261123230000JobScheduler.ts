import { Migration } from '@mikro-orm/migrations';

/**
 * The job runner's schedule read (src/plugin-host/jobs/job-runner.ts): one short read-only transaction per tick, with the
 * transaction-local setting `app.job_scheduler` on, sees every workspace's module rows and last job starts — to find
 * the due runs without a transaction per workspace. Read only: the claim and the run itself happen in the
 * workspace's tenant context, under the tenant policy.
 */
export class Migration20261123230000JobScheduler extends Migration {
  override async up(): Promise<void> {
    for (const table of ['workspace_module', 'job_run']) {
      this.addSql(`create policy job_scheduler on "${table}" for select using (current_setting('app.job_scheduler', true) = 'on')`);
    }
  }
}
