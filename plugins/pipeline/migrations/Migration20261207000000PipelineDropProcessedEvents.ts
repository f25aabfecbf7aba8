import { Migration, tenantRlsSql } from '../../../src/sdk/index.js';

/**
 * The automation subscribers are `idempotent` now: the kernel records the events they handled, so the pipeline's
 * own `pipeline_processed_event` goes. (Only redeliveries read it, and a delivery already settled is never redelivered.)
 */
export class Migration20261207000000PipelineDropProcessedEvents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop table if exists "pipeline_processed_event"`);
  }

  override async down(): Promise<void> {
    this.addSql(`create table "pipeline_processed_event" (
      "workspace_id" uuid not null, "subscriber" varchar(80) not null, "event_id" uuid not null, "created_at" timestamptz not null default now(),
      primary key ("workspace_id", "subscriber", "event_id"))`);
    this.addSql(
      `alter table "pipeline_processed_event" add constraint "pipeline_processed_event_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('pipeline_processed_event'));
  }
}
