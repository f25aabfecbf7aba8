import { Migration } from '@mikro-orm/migrations';

/**
 * Transactional email (src/core/email): `email_template` (per workspace: key, subject, HTML, text, declared data
 * variables) and `email_message` (every send: the rendered message, its recipient, contact, status and attempts).
 * `template_id` and `contact_id` are not foreign keys: a message stays recorded when its template or contact goes.
 *
 * Row-level security: both carry `workspace_id` and get the tenant policy. The queue's delivery job looks up a
 * message's workspace first (it is in the job's data) and then works under the tenant policy.
 */
export class Migration20261208000000Email extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "email_template" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "key" varchar(64) not null, "name" varchar(200) not null, "subject" text not null, "html" text not null, "text" text null, "data_variables" text[] not null, "created_by" uuid null, "version" int not null default 1, primary key ("id"))`,
    );
    this.addSql(`create index "email_template_workspace_id_index" on "email_template" ("workspace_id")`);
    this.addSql(`alter table "email_template" add constraint "email_template_workspace_key_unique" unique ("workspace_id", "key")`);
    this.addSql(
      `create table "email_message" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "template_id" uuid null, "to_address" varchar(320) not null, "cc" text[] not null, "from_address" varchar(400) not null, "subject" text not null, "html" text not null, "text" text not null, "contact_id" uuid null, "status" varchar(16) not null default 'queued', "attempts" int not null default 0, "last_error" text null, "provider_message_id" varchar(998) null, "sent_at" timestamptz null, "actor_id" uuid null, "source" varchar(200) null, primary key ("id"))`,
    );
    this.addSql(`create index "email_message_workspace_id_index" on "email_message" ("workspace_id")`);
    this.addSql(`create index "email_message_workspace_created_idx" on "email_message" ("workspace_id", "created_at")`);
    this.addSql(`create index "email_message_contact_idx" on "email_message" ("workspace_id", "contact_id", "created_at")`);
    this.addSql(
      `alter table "email_template" add constraint "email_template_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "email_message" add constraint "email_message_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    for (const table of ['email_template', 'email_message']) this.addSql(`select crm_rls.enable_tenant_rls('"${table}"')`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "email_message"`);
    this.addSql(`drop table if exists "email_template"`);
  }
}
