import { Migration, tenantRlsSql } from '../../../src/sdk/index.js';

/** Sequences (drips), their enrollments (one active per contact and sequence) and the steps each enrollment ran. */
export class Migration20261211000000CampaignSequences extends Migration {
  override async up(): Promise<void> {
    const workspaceFk = (table: string) =>
      `alter table "${table}" add constraint "${table}_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`;
    const tenant = `"id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null`;

    this.addSql(`create table "campaign_sequence" (${tenant}, "version" int not null default 1, "deleted_at" timestamptz null,
      "name" varchar(200) not null, "status" varchar(16) not null default 'active', "time_zone" varchar(64) not null default 'UTC',
      "trigger_segment_id" uuid null, "exit_on" jsonb not null, "steps" jsonb not null, "created_by" uuid null, primary key ("id"))`);
    this.addSql(`create index "campaign_sequence_workspace_id_index" on "campaign_sequence" ("workspace_id")`);
    this.addSql(`create index "campaign_sequence_workspace_id_status_index" on "campaign_sequence" ("workspace_id", "status")`);
    this.addSql(workspaceFk('campaign_sequence'));
    this.addSql(tenantRlsSql('campaign_sequence'));

    this.addSql(`create table "campaign_sequence_enrollment" (${tenant}, "sequence_id" uuid not null, "contact_id" uuid not null,
      "status" varchar(16) not null default 'active', "step_index" int not null default 0, "next_run_at" timestamptz null,
      "source" varchar(16) not null, "exit_reason" varchar(32) null, "finished_at" timestamptz null, primary key ("id"))`);
    this.addSql(`create index "campaign_sequence_enrollment_workspace_id_index" on "campaign_sequence_enrollment" ("workspace_id")`);
    this.addSql(`create index "campaign_sequence_enrollment_contact_id_index" on "campaign_sequence_enrollment" ("contact_id")`);
    this.addSql(
      `create unique index "campaign_sequence_enrollment_active_unique" on "campaign_sequence_enrollment" ("sequence_id", "contact_id") where "status" = 'active'`,
    );
    this.addSql(
      `create index "campaign_sequence_enrollment_workspace_id_status_next_run_at_index" on "campaign_sequence_enrollment" ("workspace_id", "status", "next_run_at")`,
    );
    this.addSql(
      `create index "campaign_sequence_enrollment_sequence_id_status_index" on "campaign_sequence_enrollment" ("sequence_id", "status")`,
    );
    this.addSql(workspaceFk('campaign_sequence_enrollment'));
    this.addSql(
      `alter table "campaign_sequence_enrollment" add constraint "campaign_sequence_enrollment_sequence_id_foreign" foreign key ("sequence_id") references "campaign_sequence" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "campaign_sequence_enrollment" add constraint "campaign_sequence_enrollment_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('campaign_sequence_enrollment'));

    this.addSql(`create table "campaign_sequence_step_run" (${tenant}, "enrollment_id" uuid not null, "step_index" int not null,
      "kind" varchar(16) not null, "outcome" varchar(16) not null, "detail" jsonb null, "message_id" uuid null, primary key ("id"))`);
    this.addSql(`create index "campaign_sequence_step_run_workspace_id_index" on "campaign_sequence_step_run" ("workspace_id")`);
    this.addSql(
      `alter table "campaign_sequence_step_run" add constraint "campaign_sequence_step_run_enrollment_id_step_index_unique" unique ("enrollment_id", "step_index")`,
    );
    this.addSql(workspaceFk('campaign_sequence_step_run'));
    this.addSql(
      `alter table "campaign_sequence_step_run" add constraint "campaign_sequence_step_run_enrollment_id_foreign" foreign key ("enrollment_id") references "campaign_sequence_enrollment" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('campaign_sequence_step_run'));
  }
}
