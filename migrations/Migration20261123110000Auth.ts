import { Migration } from '@mikro-orm/migrations';

/**
 * Authentication: sessions (refresh-token families) and their rotating refresh tokens, API keys (only sha256
 * hashes of secrets are stored), and the user's two-factor state and `sessions_valid_after` (password change
 * ends every session, in every workspace). Row-level security on the new tenant tables comes with
 * Migration20261123190000RowLevelSecurity, which covers every table with a workspace_id column.
 */
export class Migration20261123110000Auth extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "auth_session" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" varchar(40) null, "ip" varchar(64) null, primary key ("id"))`,
    );
    this.addSql(`create index "auth_session_workspace_id_index" on "auth_session" ("workspace_id")`);
    this.addSql(`create index "auth_session_user_id_index" on "auth_session" ("user_id")`);
    this.addSql(
      `create table "auth_refresh_token" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "session_id" uuid not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"))`,
    );
    this.addSql(`create index "auth_refresh_token_workspace_id_index" on "auth_refresh_token" ("workspace_id")`);
    this.addSql(`create index "auth_refresh_token_session_id_index" on "auth_refresh_token" ("session_id")`);
    this.addSql(`alter table "auth_refresh_token" add constraint "auth_refresh_token_token_hash_unique" unique ("token_hash")`);
    this.addSql(
      `create table "api_key" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(100) not null, "role" varchar(64) not null, "field_allowlist" jsonb null, "secret_hash" varchar(64) not null, "last4" varchar(8) not null, "created_by" uuid not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, primary key ("id"))`,
    );
    this.addSql(`create index "api_key_workspace_id_index" on "api_key" ("workspace_id")`);
    this.addSql(
      `alter table "app_user" add "sessions_valid_after" timestamptz null, add "totp_secret" text null, add "totp_enabled_at" timestamptz null, add "totp_last_step" int null, add "recovery_code_hashes" jsonb null`,
    );
    this.addSql(
      `alter table "auth_session" add constraint "auth_session_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "auth_refresh_token" add constraint "auth_refresh_token_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "auth_refresh_token" add constraint "auth_refresh_token_session_id_foreign" foreign key ("session_id") references "auth_session" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "api_key" add constraint "api_key_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
  }
}
