import { Migration } from '@mikro-orm/migrations';

/** Custom roles per workspace; a membership holds a built-in role key or a custom role id. */
export class Migration20261123100000Permissions extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "custom_role" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(100) not null, "description" text null, "grants" jsonb not null, "field_allowlist" jsonb null, primary key ("id"))`,
    );
    this.addSql(`create index "custom_role_workspace_id_index" on "custom_role" ("workspace_id")`);
    this.addSql(`alter table "custom_role" add constraint "custom_role_workspace_id_name_unique" unique ("workspace_id", "name")`);
    this.addSql(
      `alter table "custom_role" add constraint "custom_role_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(`alter table "membership" alter column "role" drop default`);
    this.addSql(`alter table "membership" alter column "role" type varchar(64) using ("role"::varchar(64))`);
    this.addSql(`alter table "membership" alter column "role" set default 'SALES'`);
    this.addSql(`drop type "membership_role"`);
  }
}
