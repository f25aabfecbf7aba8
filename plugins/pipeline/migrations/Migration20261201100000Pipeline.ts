import { Migration, tenantRlsSql } from '../../../src/sdk/index.js';

/**
 * The pipeline plugin's tables. Plugin migrations run after every kernel migration, so `tenantRlsSql` (row-level
 * security on `workspace_id`) is available; every table here carries `workspace_id` and gets it.
 *
 * Money is integer minor units (`bigint`) plus an ISO 4217 code; probabilities are whole percents.
 */
export class Migration20261201100000Pipeline extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "pipeline" (
      "id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      "version" int not null default 1, "deleted_at" timestamptz null,
      "name" varchar(120) not null, "position" int not null default 0, "is_default" boolean not null default false,
      primary key ("id"))`);
    this.addSql(`create index "pipeline_workspace_id_index" on "pipeline" ("workspace_id")`);
    this.addSql(
      `create unique index "pipeline_workspace_id_name_live_unique" on "pipeline" ("workspace_id", lower("name")) where "deleted_at" is null`,
    );
    this.addSql(
      `alter table "pipeline" add constraint "pipeline_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );

    this.addSql(`create table "pipeline_stage" (
      "id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      "pipeline_id" uuid not null, "name" varchar(120) not null, "position" int not null default 0,
      "probability" int not null default 0, "kind" varchar(8) not null default 'open', "rotting_days" int null,
      primary key ("id"),
      constraint "pipeline_stage_probability_check" check ("probability" between 0 and 100),
      constraint "pipeline_stage_kind_check" check ("kind" in ('open', 'won', 'lost')),
      constraint "pipeline_stage_rotting_days_check" check ("rotting_days" is null or "rotting_days" > 0))`);
    this.addSql(`create index "pipeline_stage_workspace_id_index" on "pipeline_stage" ("workspace_id")`);
    this.addSql(`create index "pipeline_stage_pipeline_id_position_index" on "pipeline_stage" ("pipeline_id", "position")`);
    this.addSql(`create unique index "pipeline_stage_pipeline_id_name_unique" on "pipeline_stage" ("pipeline_id", lower("name"))`);
    this.addSql(
      `alter table "pipeline_stage" add constraint "pipeline_stage_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "pipeline_stage" add constraint "pipeline_stage_pipeline_id_foreign" foreign key ("pipeline_id") references "pipeline" ("id") on delete cascade`,
    );

    this.addSql(`create table "deal" (
      "id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      "version" int not null default 1, "deleted_at" timestamptz null,
      "name" varchar(200) not null, "amount" bigint null, "currency" char(3) null, "expected_close_date" date null,
      "owner_id" uuid null, "company_id" uuid null, "pipeline_id" uuid not null, "stage_id" uuid not null,
      "status" varchar(8) not null default 'open', "lost_reason" varchar(500) null, "source" varchar(120) null,
      "priority" varchar(8) null, "custom_fields" jsonb not null default '{}',
      "stage_entered_at" timestamptz not null, "closed_at" timestamptz null,
      primary key ("id"),
      constraint "deal_amount_check" check ("amount" is null or "amount" >= 0),
      constraint "deal_money_check" check (("amount" is null) = ("currency" is null)),
      constraint "deal_status_check" check ("status" in ('open', 'won', 'lost')),
      constraint "deal_priority_check" check ("priority" is null or "priority" in ('low', 'medium', 'high', 'urgent')))`);
    this.addSql(`create index "deal_workspace_id_index" on "deal" ("workspace_id")`);
    this.addSql(`create index "deal_workspace_id_created_at_id_index" on "deal" ("workspace_id", "created_at", "id")`);
    this.addSql(`create index "deal_pipeline_id_stage_id_index" on "deal" ("pipeline_id", "stage_id")`);
    this.addSql(`create index "deal_stage_id_index" on "deal" ("stage_id")`);
    this.addSql(`create index "deal_owner_id_index" on "deal" ("owner_id")`);
    this.addSql(`create index "deal_company_id_index" on "deal" ("company_id")`);
    this.addSql(`create index "deal_workspace_id_expected_close_date_index" on "deal" ("workspace_id", "expected_close_date")`);
    this.addSql(`create index "deal_name_trgm" on "deal" using gin (lower("name") gin_trgm_ops)`);
    this.addSql(`create index "deal_custom_fields_gin" on "deal" using gin ("custom_fields" jsonb_path_ops)`);
    this.addSql(
      `alter table "deal" add constraint "deal_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal" add constraint "deal_owner_id_foreign" foreign key ("owner_id") references "app_user" ("id") on delete set null`,
    );
    this.addSql(
      `alter table "deal" add constraint "deal_company_id_foreign" foreign key ("company_id") references "company" ("id") on delete set null`,
    );
    this.addSql(`alter table "deal" add constraint "deal_pipeline_id_foreign" foreign key ("pipeline_id") references "pipeline" ("id")`);
    this.addSql(`alter table "deal" add constraint "deal_stage_id_foreign" foreign key ("stage_id") references "pipeline_stage" ("id")`);

    this.addSql(`create table "deal_contact" (
      "workspace_id" uuid not null, "deal_id" uuid not null, "contact_id" uuid not null,
      "role" varchar(80) null, "is_primary" boolean not null default false, "position" int not null default 0,
      primary key ("deal_id", "contact_id"))`);
    this.addSql(`create index "deal_contact_workspace_id_index" on "deal_contact" ("workspace_id")`);
    this.addSql(`create index "deal_contact_contact_id_index" on "deal_contact" ("contact_id")`);
    this.addSql(
      `alter table "deal_contact" add constraint "deal_contact_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal_contact" add constraint "deal_contact_deal_id_foreign" foreign key ("deal_id") references "deal" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal_contact" add constraint "deal_contact_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete cascade`,
    );

    this.addSql(
      `create table "deal_tag" ("workspace_id" uuid not null, "deal_id" uuid not null, "tag_id" uuid not null, primary key ("deal_id", "tag_id"))`,
    );
    this.addSql(`create index "deal_tag_workspace_id_index" on "deal_tag" ("workspace_id")`);
    this.addSql(`create index "deal_tag_tag_id_index" on "deal_tag" ("tag_id")`);
    this.addSql(
      `alter table "deal_tag" add constraint "deal_tag_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal_tag" add constraint "deal_tag_deal_id_foreign" foreign key ("deal_id") references "deal" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal_tag" add constraint "deal_tag_tag_id_foreign" foreign key ("tag_id") references "tag" ("id") on delete cascade`,
    );

    // one row per stay of a deal in a stage: entered, left (null while there), by whom
    this.addSql(`create table "deal_stage_history" (
      "id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      "deal_id" uuid not null, "pipeline_id" uuid not null, "stage_id" uuid not null,
      "entered_at" timestamptz not null, "left_at" timestamptz null, "entered_by_id" uuid null, "left_by_id" uuid null,
      primary key ("id"))`);
    this.addSql(`create index "deal_stage_history_workspace_id_index" on "deal_stage_history" ("workspace_id")`);
    this.addSql(`create index "deal_stage_history_deal_id_entered_at_index" on "deal_stage_history" ("deal_id", "entered_at")`);
    this.addSql(`create index "deal_stage_history_stage_id_index" on "deal_stage_history" ("stage_id")`);
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_deal_id_foreign" foreign key ("deal_id") references "deal" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_entered_by_id_foreign" foreign key ("entered_by_id") references "app_user" ("id") on delete set null`,
    );
    this.addSql(
      `alter table "deal_stage_history" add constraint "deal_stage_history_left_by_id_foreign" foreign key ("left_by_id") references "app_user" ("id") on delete set null`,
    );

    // the rotting job's claims: one reminder task per deal and stay in a stage, across runs and processes
    this.addSql(`create table "deal_rotting_reminder" (
      "workspace_id" uuid not null, "deal_id" uuid not null, "stage_id" uuid not null, "stage_entered_at" timestamptz not null,
      "task_id" uuid null, "created_at" timestamptz not null default now(),
      primary key ("deal_id", "stage_id", "stage_entered_at"))`);
    this.addSql(`create index "deal_rotting_reminder_workspace_id_index" on "deal_rotting_reminder" ("workspace_id")`);
    this.addSql(
      `alter table "deal_rotting_reminder" add constraint "deal_rotting_reminder_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "deal_rotting_reminder" add constraint "deal_rotting_reminder_deal_id_foreign" foreign key ("deal_id") references "deal" ("id") on delete cascade`,
    );

    // events the automation subscribers already handled (deliveries are at least once)
    this.addSql(`create table "pipeline_processed_event" (
      "workspace_id" uuid not null, "subscriber" varchar(80) not null, "event_id" uuid not null, "created_at" timestamptz not null default now(),
      primary key ("workspace_id", "subscriber", "event_id"))`);
    this.addSql(
      `alter table "pipeline_processed_event" add constraint "pipeline_processed_event_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );

    for (const table of [
      'pipeline',
      'pipeline_stage',
      'deal',
      'deal_contact',
      'deal_tag',
      'deal_stage_history',
      'deal_rotting_reminder',
      'pipeline_processed_event',
    ]) {
      this.addSql(tenantRlsSql(table));
    }
  }

  override async down(): Promise<void> {
    for (const table of [
      'pipeline_processed_event',
      'deal_rotting_reminder',
      'deal_stage_history',
      'deal_tag',
      'deal_contact',
      'deal',
      'pipeline_stage',
      'pipeline',
    ]) {
      this.addSql(`drop table if exists "${table}" cascade`);
    }
  }
}
