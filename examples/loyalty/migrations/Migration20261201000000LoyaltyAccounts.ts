import { Migration, tenantRlsSql } from '../../../src/sdk/index.js';

/**
 * The loyalty tables. Plugin migrations always run after every kernel migration (`allMigrations`), so the row-level
 * security helper (`crm_rls.enable_tenant_rls`, created by the kernel) exists: `tenantRlsSql` can be used directly.
 * Every table with a `workspace_id` column must get it (test/db/rls.test.ts and the contract kit check).
 */
export class Migration20261201000000LoyaltyAccounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "loyalty_account" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "contact_id" uuid not null, "points" int not null default 0, primary key ("id"))`,
    );
    this.addSql(`create index "loyalty_account_workspace_id_index" on "loyalty_account" ("workspace_id")`);
    this.addSql(
      `alter table "loyalty_account" add constraint "loyalty_account_workspace_id_contact_id_unique" unique ("workspace_id", "contact_id")`,
    );
    this.addSql(
      `alter table "loyalty_account" add constraint "loyalty_account_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(tenantRlsSql('loyalty_account'));
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "loyalty_account"`);
  }
}
