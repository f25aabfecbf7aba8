import { Migration } from '@mikro-orm/migrations';

/**
 * Automation rules (src/core/automation): `automation_rule` (per workspace: name, enabled, trigger keys, owner),
 * `automation_rule_version` (each definition saved, never changed), `automation_run` (one run: trigger, record,
 * causation chain, position, state) with `automation_run_step` (each step's input, outcome and timing), and
 * `automation_rule_state` (what a rule keeps between runs: round-robin pointers) and `automation_default_rule` (the
 * modules' default rules a workspace has had, so a deleted one does not come back). `outbox_event.causation` carries the
 * chain of runs that caused an event (loop protection).
 *
 * Row-level security: every table gets the tenant policy. The time triggers and the sweep find rules and due runs
 * across workspaces as the application role: a permissive SELECT-only policy `automation_worker` on `automation_rule`,
 * `automation_rule_version` and `automation_run` admits every row while `app.automation_worker` is `on` — set only by
 * src/core/automation/engine.ts in its own read-only transactions. Runs themselves execute in their workspace.
 */
export class Migration20261208020000Automation extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "automation_rule" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, "name" varchar(200) not null, "description" varchar(1000) null, "enabled" boolean not null default true, "trigger_keys" text[] not null, "current_version" int not null default 1, "owner_id" uuid null, "created_by" uuid null, "source" varchar(120) null, primary key ("id"))`,
    );
    this.addSql(`create index "automation_rule_workspace_id_index" on "automation_rule" ("workspace_id")`);
    this.addSql(`create index "automation_rule_trigger_keys_idx" on "automation_rule" using gin ("trigger_keys")`);
    this.addSql(`alter table "automation_rule" add constraint "automation_rule_workspace_source_unique" unique ("workspace_id", "source")`);
    this.addSql(
      `create table "automation_run" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "rule_id" uuid not null, "rule_version" int not null, "status" varchar(16) not null default 'queued', "trigger" jsonb not null, "dedupe_key" varchar(300) not null, "record_type" varchar(60) null, "record_id" uuid null, "causation" jsonb not null, "pc" int not null default 0, "resume_at" timestamptz null, "error" text null, "started_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"))`,
    );
    this.addSql(`create index "automation_run_workspace_id_index" on "automation_run" ("workspace_id")`);
    this.addSql(`create index "automation_run_status_resume_idx" on "automation_run" ("status", "resume_at")`);
    this.addSql(`create index "automation_run_workspace_created_idx" on "automation_run" ("workspace_id", "created_at")`);
    this.addSql(`create index "automation_run_rule_created_idx" on "automation_run" ("rule_id", "created_at")`);
    this.addSql(`alter table "automation_run" add constraint "automation_run_rule_dedupe_unique" unique ("rule_id", "dedupe_key")`);
    this.addSql(
      `create table "automation_run_step" ("id" uuid not null, "workspace_id" uuid not null, "run_id" uuid not null, "step_no" int not null, "path" varchar(200) not null, "action" varchar(80) not null, "input" jsonb null, "output" jsonb null, "outcome" varchar(16) not null, "error" text null, "started_at" timestamptz not null, "duration_ms" int not null, primary key ("id"))`,
    );
    this.addSql(`create index "automation_run_step_workspace_id_index" on "automation_run_step" ("workspace_id")`);
    this.addSql(`create index "automation_run_step_run_idx" on "automation_run_step" ("run_id", "step_no")`);
    this.addSql(
      `create table "automation_rule_version" ("id" uuid not null, "workspace_id" uuid not null, "rule_id" uuid not null, "version" int not null, "definition" jsonb not null, "created_by" uuid null, "created_at" timestamptz not null, primary key ("id"))`,
    );
    this.addSql(`create index "automation_rule_version_workspace_id_index" on "automation_rule_version" ("workspace_id")`);
    this.addSql(`alter table "automation_rule_version" add constraint "automation_rule_version_unique" unique ("rule_id", "version")`);
    this.addSql(
      `create table "automation_rule_state" ("rule_id" uuid not null, "key" varchar(200) not null, "workspace_id" uuid not null, "value" jsonb not null, primary key ("rule_id", "key"))`,
    );
    this.addSql(`create index "automation_rule_state_workspace_id_index" on "automation_rule_state" ("workspace_id")`);
    this.addSql(`alter table "outbox_event" add "causation" jsonb null`);
    this.addSql(
      `alter table "automation_rule" add constraint "automation_rule_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_run" add constraint "automation_run_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_run" add constraint "automation_run_rule_id_foreign" foreign key ("rule_id") references "automation_rule" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_run_step" add constraint "automation_run_step_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_run_step" add constraint "automation_run_step_run_id_foreign" foreign key ("run_id") references "automation_run" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_rule_version" add constraint "automation_rule_version_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_rule_version" add constraint "automation_rule_version_rule_id_foreign" foreign key ("rule_id") references "automation_rule" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_rule_state" add constraint "automation_rule_state_rule_id_foreign" foreign key ("rule_id") references "automation_rule" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "automation_rule_state" add constraint "automation_rule_state_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `create table "automation_default_rule" ("workspace_id" uuid not null, "source" varchar(120) not null, "created_at" timestamptz not null, primary key ("workspace_id", "source"))`,
    );
    this.addSql(
      `alter table "automation_default_rule" add constraint "automation_default_rule_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    for (const table of [
      'automation_rule',
      'automation_rule_version',
      'automation_run',
      'automation_run_step',
      'automation_rule_state',
      'automation_default_rule',
    ])
      this.addSql(`select crm_rls.enable_tenant_rls('"${table}"')`);
    for (const table of ['automation_rule', 'automation_rule_version', 'automation_run']) {
      this.addSql(`create policy automation_worker on "${table}" for select using (current_setting('app.automation_worker', true) = 'on')`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outbox_event" drop column if exists "causation"`);
    for (const table of [
      'automation_default_rule',
      'automation_rule_state',
      'automation_run_step',
      'automation_run',
      'automation_rule_version',
      'automation_rule',
    ])
      this.addSql(`drop table if exists "${table}"`);
  }
}
