import { Migration } from '@mikro-orm/migrations';

/**
 * `processed_event`: the events each `idempotent` subscriber has handled (src/events/outbox-worker.ts), one kernel
 * table instead of one per plugin. Under the tenant policy: the claim is made in the event's workspace.
 */
export class Migration20261207000000ProcessedEvents extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "processed_event" ("event_id" uuid not null, "subscriber" varchar(200) not null, "workspace_id" uuid not null, "processed_at" timestamptz not null default clock_timestamp(), primary key ("event_id", "subscriber"))`,
    );
    this.addSql(`create index "processed_event_workspace_subscriber_idx" on "processed_event" ("workspace_id", "subscriber")`);
    this.addSql(
      `alter table "processed_event" add constraint "processed_event_event_id_foreign" foreign key ("event_id") references "outbox_event" ("id") on delete cascade`,
    );
    // the statement of tenantRlsSql('processed_event')
    this.addSql(`select crm_rls.enable_tenant_rls('"processed_event"')`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "processed_event"`);
  }
}
