import { Migration } from '@mikro-orm/migrations';

/**
 * Consent history (src/core/consent): `consent_change`, one row per change of a contact's `marketing_consent` or
 * do-not flag — when, the actor (kind and id), the writer's source text and legal basis. Rows go with their contact
 * (purging a contact purges its history). Row-level security: the tenant policy.
 */
export class Migration20261209020000Consent extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "consent_field" as enum ('MARKETING_CONSENT', 'DO_NOT_CONTACT', 'DO_NOT_EMAIL', 'DO_NOT_CALL')`);
    this.addSql(`create type "consent_actor_kind" as enum ('USER', 'API_KEY', 'IMPORT', 'UNSUBSCRIBE', 'AUTOMATION', 'SYSTEM')`);
    this.addSql(
      `create table "consent_change" ("id" uuid not null, "workspace_id" uuid not null, "contact_id" uuid not null, "field" "consent_field" not null, "from_value" varchar(20) null, "to_value" varchar(20) not null, "changed_at" timestamptz not null, "actor_kind" "consent_actor_kind" not null, "actor_id" varchar(200) null, "source" varchar(500) null, "legal_basis" varchar(200) null, primary key ("id"))`,
    );
    this.addSql(`create index "consent_change_workspace_id_index" on "consent_change" ("workspace_id")`);
    this.addSql(`create index "consent_change_contact_idx" on "consent_change" ("contact_id", "changed_at" desc, "id" desc)`);
    this.addSql(
      `alter table "consent_change" add constraint "consent_change_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "consent_change" add constraint "consent_change_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete cascade`,
    );
    this.addSql(`select crm_rls.enable_tenant_rls('"consent_change"')`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "consent_change"`);
    this.addSql(`drop type if exists "consent_actor_kind"`);
    this.addSql(`drop type if exists "consent_field"`);
  }
}
