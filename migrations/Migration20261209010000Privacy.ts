import { Migration } from '@mikro-orm/migrations';

/**
 * Privacy (src/core/privacy): `email_suppression` (hashed addresses erased at their owner's request, per workspace),
 * `privacy_erasure` (that a contact was erased: who, when, mode, row counts — no values), and what erasure needs in SQL:
 *
 * - `crm_privacy.scrub_text` / `crm_privacy.scrub_jsonb`: every match of the given patterns replaced by `[erased]` (jsonb:
 *   in string values only, so the document stays valid);
 * - the audit log's append-only trigger now lets one UPDATE through: by the table's owner, with
 *   `app.audit_redaction = on`, changing nothing but `changes` and `metadata` (DELETE and TRUNCATE stay refused);
 * - `crm_privacy.redact_audit`, SECURITY DEFINER (runs as the owner, the only role the trigger admits), sets that flag for
 *   its own statement and redacts the entries about an erased person. The application role cannot redact otherwise.
 */
export class Migration20261209010000Privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "email_suppression" ("workspace_id" uuid not null, "email_hash" varchar(64) not null, "created_at" timestamptz not null default now(), primary key ("workspace_id", "email_hash"))`,
    );
    this.addSql(
      `alter table "email_suppression" add constraint "email_suppression_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    this.addSql(
      `create table "privacy_erasure" ("id" uuid not null, "workspace_id" uuid not null, "contact_id" uuid not null, "mode" varchar(16) not null, "actor_user_id" uuid null, "actor_api_key_id" uuid null, "erased_at" timestamptz not null default now(), "sections" jsonb not null, primary key ("id"))`,
    );
    this.addSql(`create index "privacy_erasure_contact_idx" on "privacy_erasure" ("workspace_id", "contact_id")`);
    this.addSql(
      `alter table "privacy_erasure" add constraint "privacy_erasure_contact_mode_unique" unique ("workspace_id", "contact_id", "mode")`,
    );
    this.addSql(
      `alter table "privacy_erasure" add constraint "privacy_erasure_workspace_id_foreign" foreign key ("workspace_id") references "workspace" ("id") on delete cascade`,
    );
    for (const table of ['email_suppression', 'privacy_erasure']) this.addSql(`select crm_rls.enable_tenant_rls('"${table}"')`);

    // a schema of its own, which the schema diff does not manage (like crm_rls); the application role gets USAGE and
    // EXECUTE when it is provisioned (src/db/rls/app-role.ts)
    this.addSql(`create schema if not exists crm_privacy`);
    this.addSql(`revoke all on schema crm_privacy from public`);
    this.addSql(`create or replace function crm_privacy.scrub_text(t text, patterns text[]) returns text language plpgsql immutable as $$
declare p text;
begin
  if t is null or patterns is null then return t; end if;
  foreach p in array patterns loop t := regexp_replace(t, p, '[erased]', 'gi'); end loop;
  return t;
end $$`);
    this.addSql(`create or replace function crm_privacy.scrub_jsonb(j jsonb, patterns text[]) returns jsonb language plpgsql immutable as $$
begin
  if j is null then return null; end if;
  case jsonb_typeof(j)
    when 'string' then return to_jsonb(crm_privacy.scrub_text(j #>> '{}', patterns));
    when 'array' then return coalesce((select jsonb_agg(crm_privacy.scrub_jsonb(e, patterns) order by i) from jsonb_array_elements(j) with ordinality as x(e, i)), '[]'::jsonb);
    when 'object' then return coalesce((select jsonb_object_agg(k, crm_privacy.scrub_jsonb(v, patterns)) from jsonb_each(j) as x(k, v)), '{}'::jsonb);
    else return j;
  end case;
end $$`);
    this.addSql(`revoke execute on all functions in schema crm_privacy from public`);
    // the body must match AuditEntry's trigger (audit-entry.entity.ts)
    this.addSql(
      `create or replace function "audit_log_append_only_fn"() returns trigger as $$ begin if tg_op = 'UPDATE' and current_setting('app.audit_redaction', true) = 'on' and current_user = (select r.rolname from pg_class c join pg_roles r on r.oid = c.relowner where c.oid = tg_relid) and (new.id, new.workspace_id, new.occurred_at, new.actor_user_id, new.actor_api_key_id, new.action, new.object_type, new.object_id, new.ip) is not distinct from (old.id, old.workspace_id, old.occurred_at, old.actor_user_id, old.actor_api_key_id, old.action, old.object_type, old.object_id, old.ip) then return new; end if; raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = '42501'; end; $$ language plpgsql`,
    );
    // p_links: ILIKE patterns that tie an entry to the person (their ids, their addresses); p_subject_ids: entries about
    // these objects also lose the values of p_fields whatever they were; p_patterns: the values replaced everywhere else
    this.addSql(`create or replace function crm_privacy.redact_audit(p_workspace uuid, p_links text[], p_subject_ids text[], p_fields text[], p_patterns text[])
returns integer language plpgsql security definer set search_path from current as $$
declare n integer;
begin
  perform set_config('app.audit_redaction', 'on', true);
  with linked as (
    select a.id, a.changes, a.metadata,
      crm_privacy.scrub_jsonb(case when a.object_id = any(p_subject_ids) and jsonb_typeof(a.changes) = 'object'
        then (select jsonb_object_agg(k, case when k = any(p_fields) then '{"before": "[erased]", "after": "[erased]"}'::jsonb else v end) from jsonb_each(a.changes) as x(k, v))
        else a.changes end, p_patterns) as new_changes,
      crm_privacy.scrub_jsonb(a.metadata, p_patterns) as new_metadata
    from audit_log a
    where a.workspace_id = p_workspace
      and (a.object_id = any(p_subject_ids) or coalesce(a.object_id, '') ilike any(p_links)
        or coalesce(a.changes::text, '') ilike any(p_links) or coalesce(a.metadata::text, '') ilike any(p_links))
  )
  update audit_log a set changes = l.new_changes, metadata = coalesce(l.new_metadata, '{}'::jsonb) || '{"personalDataErased": true}'::jsonb
  from linked l
  where a.id = l.id and (l.new_changes is distinct from l.changes or l.new_metadata is distinct from l.metadata);
  get diagnostics n = row_count;
  perform set_config('app.audit_redaction', 'off', true);
  return n;
end $$`);
    this.addSql(`revoke execute on function crm_privacy.redact_audit(uuid, text[], text[], text[], text[]) from public`);
  }
}
