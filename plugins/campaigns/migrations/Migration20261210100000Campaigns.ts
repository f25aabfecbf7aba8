import { Migration, tenantRlsSql } from '../../../src/sdk/index.js';

/** Templates, campaigns, their send rows, suppressions (unsubscribed, bounced, complained), links and engagement. */
export class Migration20261210100000Campaigns extends Migration {
  override async up(): Promise<void> {
    const workspaceFk = (table: string) =>
      `alter table "${table}" add constraint "${table}_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`;
    const tenant = `"id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null`;

    this.addSql(`create table "campaign_template" (${tenant}, "version" int not null default 1, "deleted_at" timestamptz null,
      "name" varchar(200) not null, "subject" text not null, "preheader" varchar(500) null, "format" varchar(8) not null,
      "source" text not null, "text_body" text null, "compiled_html" text not null, "created_by" uuid null, primary key ("id"))`);
    this.addSql(`create index "campaign_template_workspace_id_index" on "campaign_template" ("workspace_id")`);
    this.addSql(
      `create unique index "campaign_template_workspace_id_name_live_unique" on "campaign_template" ("workspace_id", lower("name")) where "deleted_at" is null`,
    );
    this.addSql(workspaceFk('campaign_template'));
    this.addSql(tenantRlsSql('campaign_template'));

    this.addSql(`create table "campaign" (${tenant}, "version" int not null default 1, "deleted_at" timestamptz null,
      "name" varchar(200) not null, "template_id" uuid not null, "segment_ids" text[] not null,
      "sender_address" varchar(320) null, "sender_name" varchar(100) null, "status" varchar(16) not null default 'draft',
      "scheduled_at" timestamptz null, "started_at" timestamptz null, "finished_at" timestamptz null,
      "cost_amount" int null, "cost_currency" varchar(3) null, "recipient_count" int not null default 0, "created_by" uuid null,
      primary key ("id"))`);
    this.addSql(`create index "campaign_workspace_id_index" on "campaign" ("workspace_id")`);
    this.addSql(`create index "campaign_workspace_id_status_index" on "campaign" ("workspace_id", "status")`);
    this.addSql(workspaceFk('campaign'));
    this.addSql(
      `alter table "campaign" add constraint "campaign_template_id_foreign" foreign key ("template_id") references "campaign_template" ("id")`,
    );
    this.addSql(tenantRlsSql('campaign'));

    this.addSql(`create table "campaign_send" (${tenant}, "campaign_id" uuid not null, "contact_id" uuid not null,
      "status" varchar(16) not null default 'queued', "skip_reason" varchar(32) null, "email" varchar(320) null,
      "claim_token" uuid null, "claimed_at" timestamptz null, "message_id" uuid null, "sent_at" timestamptz null,
      "delivered_at" timestamptz null, "failed_at" timestamptz null, "error" text null, primary key ("id"))`);
    this.addSql(`create index "campaign_send_workspace_id_index" on "campaign_send" ("workspace_id")`);
    this.addSql(`create index "campaign_send_contact_id_index" on "campaign_send" ("contact_id")`);
    this.addSql(`create index "campaign_send_campaign_id_status_index" on "campaign_send" ("campaign_id", "status")`);
    this.addSql(`create index "campaign_send_workspace_id_sent_at_index" on "campaign_send" ("workspace_id", "sent_at")`);
    this.addSql(
      `alter table "campaign_send" add constraint "campaign_send_campaign_id_contact_id_unique" unique ("campaign_id", "contact_id")`,
    );
    this.addSql(workspaceFk('campaign_send'));
    this.addSql(
      `alter table "campaign_send" add constraint "campaign_send_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "campaign_send" add constraint "campaign_send_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('campaign_send'));

    this.addSql(`create table "campaign_suppression" (${tenant}, "email" varchar(320) not null, "kind" varchar(16) not null,
      "contact_id" uuid null, "campaign_id" uuid null, "send_id" uuid null, "detail" text null, primary key ("id"))`);
    this.addSql(`create index "campaign_suppression_workspace_id_index" on "campaign_suppression" ("workspace_id")`);
    this.addSql(`create index "campaign_suppression_contact_id_index" on "campaign_suppression" ("contact_id")`);
    this.addSql(
      `alter table "campaign_suppression" add constraint "campaign_suppression_workspace_id_email_kind_unique" unique ("workspace_id", "email", "kind")`,
    );
    this.addSql(workspaceFk('campaign_suppression'));
    this.addSql(tenantRlsSql('campaign_suppression'));

    this.addSql(`create table "campaign_link" ("campaign_id" uuid not null, "link_index" int not null, "workspace_id" uuid not null,
      "url" text not null, primary key ("campaign_id", "link_index"))`);
    this.addSql(`create index "campaign_link_workspace_id_index" on "campaign_link" ("workspace_id")`);
    this.addSql(
      `alter table "campaign_link" add constraint "campaign_link_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on delete cascade`,
    );
    this.addSql(workspaceFk('campaign_link'));
    this.addSql(tenantRlsSql('campaign_link'));

    this.addSql(`create table "campaign_engagement" ("id" uuid not null, "workspace_id" uuid not null, "campaign_id" uuid not null,
      "send_id" uuid not null, "contact_id" uuid not null, "kind" varchar(8) not null, "link_index" int null,
      "machine" boolean not null default false, "ip" varchar(64) null, "user_agent" varchar(500) null,
      "occurred_at" timestamptz not null, primary key ("id"))`);
    this.addSql(`create index "campaign_engagement_workspace_id_index" on "campaign_engagement" ("workspace_id")`);
    this.addSql(`create index "campaign_engagement_send_id_index" on "campaign_engagement" ("send_id")`);
    this.addSql(`create index "campaign_engagement_contact_id_index" on "campaign_engagement" ("contact_id")`);
    this.addSql(`create index "campaign_engagement_campaign_id_kind_index" on "campaign_engagement" ("campaign_id", "kind")`);
    this.addSql(workspaceFk('campaign_engagement'));
    this.addSql(
      `alter table "campaign_engagement" add constraint "campaign_engagement_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "campaign_engagement" add constraint "campaign_engagement_send_id_foreign" foreign key ("send_id") references "campaign_send" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('campaign_engagement'));
  }
}
