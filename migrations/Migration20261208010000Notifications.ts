import { Migration } from '@mikro-orm/migrations';

/**
 * Notifications (src/core/notifications): `notification` (a user's inbox rows, with the channels chosen and what was
 * emailed or digested), `notification_preference` (type × channel per user), `notification_user_setting` (digest time
 * zone and hour per user) and `notification_workspace_setting` (e.g. the stale-contact threshold).
 *
 * Row-level security: the tenant policy on all four. Who sees which user's rows is decided in SQL (every read filters
 * by the caller's user id), not by a policy. The jobs that look across workspaces (due tasks, digests, stale contacts)
 * list workspaces first and then work in each one's tenant context.
 */
export class Migration20261208010000Notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "notification" ("id" uuid not null, "workspace_id" uuid not null, "user_id" uuid not null, "type" varchar(120) not null, "title" varchar(500) not null, "body" text null, "record_type" varchar(60) null, "record_id" uuid null, "actor_id" uuid null, "data" jsonb not null, "source_event_id" varchar(200) null, "in_app" boolean not null default true, "email" boolean not null default false, "digest" boolean not null default false, "read_at" timestamptz null, "emailed_at" timestamptz null, "digested_at" timestamptz null, "created_at" timestamptz not null default clock_timestamp(), primary key ("id"))`,
    );
    this.addSql(`create index "notification_inbox_idx" on "notification" ("workspace_id", "user_id", "read_at", "created_at" desc)`);
    this.addSql(`alter table "notification" add constraint "notification_source_unique" unique ("user_id", "type", "source_event_id")`);
    this.addSql(
      `create table "notification_preference" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "type" varchar(120) not null, "channel" varchar(16) not null, "enabled" boolean not null, primary key ("id"))`,
    );
    this.addSql(`create index "notification_preference_workspace_id_index" on "notification_preference" ("workspace_id")`);
    this.addSql(
      `alter table "notification_preference" add constraint "notification_preference_unique" unique ("workspace_id", "user_id", "type", "channel")`,
    );
    this.addSql(
      `create table "notification_user_setting" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "time_zone" varchar(64) not null default 'UTC', "digest_hour" int not null default 8, "last_digest_on" varchar(10) null, primary key ("id"))`,
    );
    this.addSql(`create index "notification_user_setting_workspace_id_index" on "notification_user_setting" ("workspace_id")`);
    this.addSql(
      `alter table "notification_user_setting" add constraint "notification_user_setting_unique" unique ("workspace_id", "user_id")`,
    );
    this.addSql(
      `create table "notification_workspace_setting" ("workspace_id" uuid not null, "stale_contact_days" int null, "updated_at" timestamptz not null default clock_timestamp(), primary key ("workspace_id"))`,
    );
    this.addSql(
      `alter table "notification" add constraint "notification_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "notification" add constraint "notification_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "notification_preference" add constraint "notification_preference_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "notification_user_setting" add constraint "notification_user_setting_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "notification_workspace_setting" add constraint "notification_workspace_setting_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on update cascade on delete cascade`,
    );
    for (const table of ['notification', 'notification_preference', 'notification_user_setting', 'notification_workspace_setting'])
      this.addSql(`select crm_rls.enable_tenant_rls('"${table}"')`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "notification_workspace_setting"`);
    this.addSql(`drop table if exists "notification_user_setting"`);
    this.addSql(`drop table if exists "notification_preference"`);
    this.addSql(`drop table if exists "notification"`);
  }
}
