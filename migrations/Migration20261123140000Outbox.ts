import { Migration } from '@mikro-orm/migrations';

/**
 * The transactional outbox (src/events): `outbox_event` (one row per domain event, inserted in the write's
 * transaction) and `outbox_delivery` (one row per event × subscriber registered for its type at insert time).
 *
 * Row-level security: both tables carry `workspace_id` and get the tenant policy (API sessions see only their
 * workspace's events and dead letters). The outbox worker scans every workspace as the same application role, so a
 * second, permissive policy `outbox_worker` admits all rows while the transaction-local setting `app.outbox_worker`
 * is `on` — set only by src/events/outbox-worker.ts (`set_config('app.outbox_worker', 'on', true)` inside its own
 * short transactions); no request path sets it.
 *
 * Ordering: this runs before Migration20261123190000RowLevelSecurity on a fresh database (which then enables the
 * tenant policy on every table with a workspace_id, these included); on a database where that migration already
 * ran, the tenant policy is enabled here (`crm_rls.enable_tenant_rls`, the statement of `tenantRlsSql`).
 */
export class Migration20261123140000Outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "outbox_event" ("id" uuid not null, "workspace_id" uuid not null, "type" varchar(120) not null, "payload" jsonb not null, "actor_user_id" uuid null, "actor_api_key_id" uuid null, "occurred_at" timestamptz not null default clock_timestamp(), primary key ("id"))`,
    );
    this.addSql(`create index "outbox_event_workspace_time_idx" on "outbox_event" ("workspace_id", "occurred_at")`);
    this.addSql(
      `create table "outbox_delivery" ("id" uuid not null, "event_id" uuid not null, "workspace_id" uuid not null, "subscriber" varchar(200) not null, "plugin" varchar(100) not null, "status" varchar(16) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null default clock_timestamp(), "locked_until" timestamptz null, "last_error" text null, "delivered_at" timestamptz null, "created_at" timestamptz not null default clock_timestamp(), "updated_at" timestamptz not null default clock_timestamp(), primary key ("id"))`,
    );
    this.addSql(`create index "outbox_delivery_workspace_status_idx" on "outbox_delivery" ("workspace_id", "status", "updated_at")`);
    this.addSql(`create index "outbox_delivery_due_idx" on "outbox_delivery" ("status", "next_attempt_at")`);
    this.addSql(`alter table "outbox_delivery" add constraint "outbox_delivery_event_subscriber_unique" unique ("event_id", "subscriber")`);
    this.addSql(
      `alter table "outbox_delivery" add constraint "outbox_delivery_event_id_foreign" foreign key ("event_id") references "outbox_event" ("id") on delete cascade`,
    );
    for (const table of ['outbox_event', 'outbox_delivery']) {
      this.addSql(
        `create policy outbox_worker on "${table}" for all using (current_setting('app.outbox_worker', true) = 'on') with check (current_setting('app.outbox_worker', true) = 'on')`,
      );
      this.addSql(`do $$ begin
        if to_regprocedure('crm_rls.enable_tenant_rls(regclass)') is not null then perform crm_rls.enable_tenant_rls('"${table}"'); end if;
      end $$`);
    }
  }
}
