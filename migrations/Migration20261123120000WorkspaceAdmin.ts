import { Migration } from '@mikro-orm/migrations';

/** Invitations to join a workspace by email (roles, members and teams use existing tables). */
export class Migration20261123120000WorkspaceAdmin extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "invitation" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email" varchar(320) not null, "role" varchar(64) not null, "token_hash" varchar(64) not null, "invited_by" uuid null, "expires_at" timestamptz not null, "accepted_at" timestamptz null, "accepted_by" uuid null, "revoked_at" timestamptz null, primary key ("id"))`,
    );
    this.addSql(`create index "invitation_workspace_id_index" on "invitation" ("workspace_id")`);
    this.addSql(`alter table "invitation" add constraint "invitation_token_hash_unique" unique ("token_hash")`);
    this.addSql(`create index "invitation_workspace_id_email_index" on "invitation" ("workspace_id", "email")`);
    this.addSql(
      `alter table "invitation" add constraint "invitation_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
  }
}
