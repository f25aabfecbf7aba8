import { Migration } from '@mikro-orm/migrations';

/**
 * Outbound webhooks (src/core/webhooks): `webhook_endpoint` (per workspace: URL, event type patterns, conditions,
 * role, secrets), `webhook_delivery` (one event — or a test ping — to one endpoint, with its retry state) and
 * `webhook_attempt` (the delivery log: request, response excerpt, duration, error).
 *
 * Row-level security: all three carry `workspace_id` and get the tenant policy. The job queue finds due deliveries and
 * failing endpoints across workspaces as the application role: a permissive SELECT-only policy `webhook_worker` on
 * `webhook_endpoint` and `webhook_delivery` admits every row while the transaction-local setting `app.webhook_worker`
 * is `on` — set only by src/core/webhooks/delivery.ts in its own read-only transactions. Attempts themselves run in
 * the delivery's workspace, under the tenant policy.
 */
export class Migration20261207110000Webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "webhook_endpoint" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "url" varchar(2048) not null, "description" varchar(500) null, "event_types" text[] not null, "conditions" jsonb not null, "enabled" boolean not null default true, "role" varchar(64) not null default 'ADMIN', "secret" varchar(100) not null, "previous_secret" varchar(100) null, "previous_secret_expires_at" timestamptz null, "failing_since" timestamptz null, "disabled_at" timestamptz null, "disabled_reason" varchar(300) null, "created_by" uuid null, primary key ("id"))`,
    );
    this.addSql(`create index "webhook_endpoint_workspace_id_index" on "webhook_endpoint" ("workspace_id")`);
    this.addSql(`create index "webhook_endpoint_workspace_created_idx" on "webhook_endpoint" ("workspace_id", "created_at")`);
    this.addSql(
      `create table "webhook_delivery" ("id" uuid not null, "workspace_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "endpoint_id" uuid not null, "event_id" uuid null, "event_type" varchar(120) not null, "status" varchar(16) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz null, "locked_until" timestamptz null, "last_attempt_at" timestamptz null, "last_status_code" int null, "last_error" text null, primary key ("id"))`,
    );
    this.addSql(`create index "webhook_delivery_workspace_id_index" on "webhook_delivery" ("workspace_id")`);
    this.addSql(`create index "webhook_delivery_workspace_event_idx" on "webhook_delivery" ("workspace_id", "event_id")`);
    this.addSql(`create index "webhook_delivery_endpoint_created_idx" on "webhook_delivery" ("endpoint_id", "created_at")`);
    this.addSql(`create index "webhook_delivery_due_idx" on "webhook_delivery" ("status", "next_attempt_at")`);
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_event_unique" unique ("endpoint_id", "event_id")`,
    );
    this.addSql(
      `create table "webhook_attempt" ("id" uuid not null, "workspace_id" uuid not null, "delivery_id" uuid not null, "attempt_no" int not null, "attempted_at" timestamptz not null, "url" varchar(2048) not null, "request_headers" jsonb not null, "request_body" text not null, "response_status" int null, "response_body" text null, "duration_ms" int not null, "error" text null, primary key ("id"))`,
    );
    this.addSql(`create index "webhook_attempt_workspace_id_index" on "webhook_attempt" ("workspace_id")`);
    this.addSql(`alter table "webhook_attempt" add constraint "webhook_attempt_delivery_no_unique" unique ("delivery_id", "attempt_no")`);
    this.addSql(
      `alter table "webhook_endpoint" add constraint "webhook_endpoint_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_event_id_foreign" foreign key ("event_id") references "outbox_event" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "webhook_attempt" add constraint "webhook_attempt_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `alter table "webhook_attempt" add constraint "webhook_attempt_delivery_id_foreign" foreign key ("delivery_id") references "webhook_delivery" ("id") on delete cascade`,
    );
    for (const table of ['webhook_endpoint', 'webhook_delivery', 'webhook_attempt'])
      this.addSql(`select crm_rls.enable_tenant_rls('"${table}"')`);
    for (const table of ['webhook_endpoint', 'webhook_delivery']) {
      this.addSql(`create policy webhook_worker on "${table}" for select using (current_setting('app.webhook_worker', true) = 'on')`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "webhook_attempt"`);
    this.addSql(`drop table if exists "webhook_delivery"`);
    this.addSql(`drop table if exists "webhook_endpoint"`);
  }
}
