import { Migration, tenantRlsSql } from '../../../src/sdk/index.js';

/** Static lists and dynamic segments, and their members. */
export class Migration20261210000000CampaignSegments extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "campaign_segment" (
      "id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      "version" int not null default 1, "deleted_at" timestamptz null,
      "name" varchar(120) not null, "description" text null, "kind" varchar(8) not null, "rules" jsonb null,
      "member_count" int not null default 0, "evaluated_at" timestamptz null, "created_by" uuid null,
      primary key ("id"),
      constraint "campaign_segment_kind_check" check ("kind" in ('static', 'dynamic')))`);
    this.addSql(`create index "campaign_segment_workspace_id_index" on "campaign_segment" ("workspace_id")`);
    this.addSql(
      `create unique index "campaign_segment_workspace_id_name_live_unique" on "campaign_segment" ("workspace_id", lower("name")) where "deleted_at" is null`,
    );
    this.addSql(
      `alter table "campaign_segment" add constraint "campaign_segment_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('campaign_segment'));

    this.addSql(`create table "campaign_segment_member" (
      "segment_id" uuid not null, "contact_id" uuid not null, "workspace_id" uuid not null,
      "source" varchar(8) not null, "added_at" timestamptz not null,
      primary key ("segment_id", "contact_id"))`);
    this.addSql(`create index "campaign_segment_member_contact_id_index" on "campaign_segment_member" ("contact_id")`);
    this.addSql(`create index "campaign_segment_member_workspace_id_index" on "campaign_segment_member" ("workspace_id")`);
    this.addSql(
      `alter table "campaign_segment_member" add constraint "campaign_segment_member_segment_id_foreign" foreign key ("segment_id") references "campaign_segment" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "campaign_segment_member" add constraint "campaign_segment_member_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "campaign_segment_member" add constraint "campaign_segment_member_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('campaign_segment_member'));
  }
}
