import { Migration } from '@mikro-orm/migrations';

/** The append-only audit log: plain inserts only; a trigger refuses UPDATE, DELETE and TRUNCATE. */
export class Migration20261123130000Audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_log" ("id" uuid not null, "workspace_id" uuid null, "occurred_at" timestamptz not null default clock_timestamp(), "actor_user_id" uuid null, "actor_api_key_id" uuid null, "action" varchar(80) not null, "object_type" varchar(60) null, "object_id" varchar(200) null, "changes" jsonb null, "metadata" jsonb null, "ip" varchar(64) null, primary key ("id"))`,
    );
    this.addSql(`create index "audit_log_workspace_time_idx" on "audit_log" ("workspace_id", "occurred_at" desc, "id" desc)`);
    this.addSql(`create index "audit_log_object_idx" on "audit_log" ("workspace_id", "object_type", "object_id", "occurred_at" desc)`);
    this.addSql(`create index "audit_log_actor_idx" on "audit_log" ("workspace_id", "actor_user_id", "occurred_at" desc)`);
    this.addSql(
      `create or replace function "audit_log_append_only_fn"() returns trigger as $$ begin raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = '42501'; end; $$ language plpgsql`,
    );
    this.addSql(
      `create trigger "append_only" before update or delete on "audit_log" for each row execute function "audit_log_append_only_fn"()`,
    );
    // information_schema does not list truncate triggers, so this one lives only here (not in the entity's triggers)
    this.addSql(
      `create trigger "append_only_truncate" before truncate on "audit_log" for each statement execute function "audit_log_append_only_fn"()`,
    );
  }
}
