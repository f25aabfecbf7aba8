import { Migration } from '@mikro-orm/migrations';

/** Inbound integrations (src/core/integrations): tokens (hashed) per workspace and idempotency receipts of their posts. */
export class Migration20261207020000Integrations extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "integration" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(60) not null, "token_hash" varchar(64) not null, "created_by_id" uuid null, "created_at" timestamptz not null default clock_timestamp(), "last_received_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"))`,
    );
    this.addSql(`alter table "integration" add constraint "integration_workspace_name_unique" unique ("workspace_id", "name")`);
    this.addSql(
      `create table "integration_receipt" ("integration_id" uuid not null, "idempotency_key" varchar(200) not null, "workspace_id" uuid not null, "event_id" uuid not null, "received_at" timestamptz not null default clock_timestamp(), primary key ("integration_id", "idempotency_key"))`,
    );
    this.addSql(`create index "integration_receipt_workspace_idx" on "integration_receipt" ("workspace_id", "received_at")`);
    for (const table of ['integration', 'integration_receipt']) {
      // the statement of tenantRlsSql(table)
      this.addSql(`select crm_rls.enable_tenant_rls('"${table}"')`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "integration_receipt"`);
    this.addSql(`drop table if exists "integration"`);
  }
}
