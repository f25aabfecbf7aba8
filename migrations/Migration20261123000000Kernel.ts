import { Migration } from '@mikro-orm/migrations';

/** Kernel schema: workspaces, identity model, customers, activities and timeline, comments, custom fields, imports. */
export class Migration20261123000000Kernel extends Migration {
  override async up(): Promise<void> {
    this.addSql("create extension if not exists pg_trgm");
    this.addSql("create extension if not exists unaccent");
    this.addSql("create type \"membership_role\" as enum ('OWNER', 'ADMIN', 'MANAGER', 'SALES', 'SUPPORT', 'MARKETING', 'READ_ONLY')");
    this.addSql("create type \"import_status\" as enum ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')");
    this.addSql("create type \"custom_field_type\" as enum ('TEXT', 'NUMBER', 'MONEY', 'DATE', 'BOOLEAN', 'SELECT', 'MULTI_SELECT', 'URL', 'EMAIL')");
    this.addSql("create type \"lifecycle_stage\" as enum ('LEAD', 'MARKETING_QUALIFIED', 'SALES_QUALIFIED', 'OPPORTUNITY', 'CUSTOMER', 'CHURNED')");
    this.addSql("create type \"consent_status\" as enum ('UNKNOWN', 'GRANTED', 'WITHDRAWN')");
    this.addSql("create type \"activity_type\" as enum ('CALL', 'EMAIL', 'MEETING', 'NOTE', 'TASK')");
    this.addSql("create type \"activity_direction\" as enum ('INBOUND', 'OUTBOUND')");
    this.addSql("create type \"task_priority\" as enum ('LOW', 'NORMAL', 'HIGH', 'URGENT')");
    this.addSql("create table \"app_user\" (\"id\" uuid not null, \"email\" varchar(320) not null, \"name\" varchar(200) not null, \"password_hash\" text null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, primary key (\"id\"))");
    this.addSql("alter table \"app_user\" add constraint \"app_user_email_unique\" unique (\"email\")");
    this.addSql("create table \"workspace\" (\"id\" uuid not null, \"name\" varchar(200) not null, \"slug\" varchar(64) not null, \"default_currency\" varchar(3) not null default 'USD', \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, primary key (\"id\"))");
    this.addSql("alter table \"workspace\" add constraint \"workspace_slug_unique\" unique (\"slug\")");
    this.addSql("create table \"timeline_link\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"target_type\" varchar(40) not null, \"target_id\" uuid not null, \"entry_kind\" varchar(16) not null, \"entry_id\" uuid not null, \"entry_type\" varchar(80) not null, \"occurred_at\" timestamptz not null, primary key (\"id\"))");
    this.addSql("create index \"timeline_link_workspace_id_index\" on \"timeline_link\" (\"workspace_id\")");
    this.addSql("create index \"timeline_link_entry_id_index\" on \"timeline_link\" (\"entry_id\")");
    this.addSql("create index \"timeline_link_target_idx\" on \"timeline_link\" (\"workspace_id\", \"target_type\", \"target_id\", \"occurred_at\", \"entry_id\")");
    this.addSql("alter table \"timeline_link\" add constraint \"timeline_link_entry_id_target_type_target_id_unique\" unique (\"entry_id\", \"target_type\", \"target_id\")");
    this.addSql("create table \"timeline_event\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"entry_type\" varchar(80) not null, \"title\" varchar(500) not null, \"body\" text null, \"data\" jsonb not null, \"occurred_at\" timestamptz not null, \"actor_id\" uuid null, primary key (\"id\"))");
    this.addSql("create index \"timeline_event_workspace_id_index\" on \"timeline_event\" (\"workspace_id\")");
    this.addSql("create table \"team_member\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"team_id\" uuid not null, \"user_id\" uuid not null, primary key (\"id\"))");
    this.addSql("create index \"team_member_workspace_id_index\" on \"team_member\" (\"workspace_id\")");
    this.addSql("create index \"team_member_user_id_index\" on \"team_member\" (\"user_id\")");
    this.addSql("alter table \"team_member\" add constraint \"team_member_team_id_user_id_unique\" unique (\"team_id\", \"user_id\")");
    this.addSql("create table \"team\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"name\" varchar(200) not null, primary key (\"id\"))");
    this.addSql("create index \"team_workspace_id_index\" on \"team\" (\"workspace_id\")");
    this.addSql("create table \"tag\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"name\" varchar(80) not null, \"normalized_name\" varchar(80) not null, \"color\" varchar(7) null, primary key (\"id\"))");
    this.addSql("create index \"tag_workspace_id_index\" on \"tag\" (\"workspace_id\")");
    this.addSql("alter table \"tag\" add constraint \"tag_workspace_id_normalized_name_unique\" unique (\"workspace_id\", \"normalized_name\")");
    this.addSql("create table \"membership\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"user_id\" uuid not null, \"role\" \"membership_role\" not null default 'SALES', primary key (\"id\"))");
    this.addSql("create index \"membership_workspace_id_index\" on \"membership\" (\"workspace_id\")");
    this.addSql("create index \"membership_user_id_index\" on \"membership\" (\"user_id\")");
    this.addSql("alter table \"membership\" add constraint \"membership_workspace_id_user_id_unique\" unique (\"workspace_id\", \"user_id\")");
    this.addSql("create table \"import_job\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"object_type\" varchar(40) not null, \"status\" \"import_status\" not null default 'PENDING', \"mapping\" jsonb not null, \"file_name\" varchar(300) null, \"processed_rows\" int not null default 0, \"created_count\" int not null default 0, \"updated_count\" int not null default 0, \"failed_count\" int not null default 0, \"failure_message\" text null, \"finished_at\" timestamptz null, primary key (\"id\"))");
    this.addSql("create index \"import_job_workspace_id_index\" on \"import_job\" (\"workspace_id\")");
    this.addSql("create table \"import_row_error\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"job_id\" uuid not null, \"row_number\" int not null, \"field\" varchar(200) null, \"code\" varchar(40) not null, \"message\" text not null, primary key (\"id\"))");
    this.addSql("create index \"import_row_error_workspace_id_index\" on \"import_row_error\" (\"workspace_id\")");
    this.addSql("create index \"import_row_error_job_id_row_number_index\" on \"import_row_error\" (\"job_id\", \"row_number\")");
    this.addSql("create table \"idempotency_record\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"operation\" varchar(60) not null, \"key\" varchar(200) not null, \"result_id\" uuid not null, primary key (\"id\"))");
    this.addSql("create index \"idempotency_record_workspace_id_index\" on \"idempotency_record\" (\"workspace_id\")");
    this.addSql("alter table \"idempotency_record\" add constraint \"idempotency_record_workspace_id_operation_key_unique\" unique (\"workspace_id\", \"operation\", \"key\")");
    this.addSql("create table \"custom_field_definition\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"object_type\" varchar(40) not null, \"key\" varchar(64) not null, \"label\" varchar(200) not null, \"type\" \"custom_field_type\" not null, \"required\" boolean not null default false, \"options\" jsonb not null, \"min\" double precision null, \"max\" double precision null, \"max_length\" int null, \"currency\" varchar(3) null, \"position\" int not null default 0, \"archived_at\" timestamptz null, primary key (\"id\"))");
    this.addSql("create index \"custom_field_definition_workspace_id_index\" on \"custom_field_definition\" (\"workspace_id\")");
    this.addSql("alter table \"custom_field_definition\" add constraint \"custom_field_definition_workspace_id_object_type_key_unique\" unique (\"workspace_id\", \"object_type\", \"key\")");
    this.addSql("create table \"company\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"version\" int not null default 1, \"deleted_at\" timestamptz null, \"name\" varchar(300) not null, \"domains\" text[] not null, \"primary_domain\" varchar(253) null, \"industry\" varchar(120) null, \"employee_count\" int null, \"annual_revenue_amount\" bigint null, \"annual_revenue_currency\" varchar(3) null, \"address\" jsonb null, \"phones\" jsonb not null, \"website\" varchar(2048) null, \"owner_id\" uuid null, \"lifecycle_stage\" \"lifecycle_stage\" null, \"custom_fields\" jsonb not null, \"search_text\" text not null default '', \"merged_into_id\" uuid null, primary key (\"id\"))");
    this.addSql("create index \"company_workspace_id_index\" on \"company\" (\"workspace_id\")");
    this.addSql("create index \"company_custom_fields_gin\" on \"company\" using gin (\"custom_fields\" jsonb_path_ops)");
    this.addSql("create index \"company_domains_gin\" on \"company\" using gin (\"domains\")");
    this.addSql("create index \"company_search_trgm\" on \"company\" using gin (\"search_text\" gin_trgm_ops)");
    this.addSql("create index \"company_workspace_id_created_at_id_index\" on \"company\" (\"workspace_id\", \"created_at\", \"id\")");
    this.addSql("create index \"company_workspace_id_primary_domain_index\" on \"company\" (\"workspace_id\", \"primary_domain\")");
    this.addSql("create table \"contact\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"version\" int not null default 1, \"deleted_at\" timestamptz null, \"first_name\" varchar(200) null, \"last_name\" varchar(200) null, \"emails\" jsonb not null, \"primary_email\" varchar(320) null, \"phones\" jsonb not null, \"job_title\" varchar(200) null, \"company_id\" uuid null, \"address\" jsonb null, \"owner_id\" uuid null, \"lifecycle_stage\" \"lifecycle_stage\" not null default 'LEAD', \"source\" varchar(120) null, \"marketing_consent\" \"consent_status\" not null default 'UNKNOWN', \"consent_updated_at\" timestamptz null, \"do_not_contact\" boolean not null default false, \"do_not_email\" boolean not null default false, \"do_not_call\" boolean not null default false, \"custom_fields\" jsonb not null, \"search_text\" text not null default '', \"merged_into_id\" uuid null, primary key (\"id\"))");
    this.addSql("create index \"contact_workspace_id_index\" on \"contact\" (\"workspace_id\")");
    this.addSql("create index \"contact_company_id_index\" on \"contact\" (\"company_id\")");
    this.addSql("create index \"contact_custom_fields_gin\" on \"contact\" using gin (\"custom_fields\" jsonb_path_ops)");
    this.addSql("create index \"contact_emails_gin\" on \"contact\" using gin (\"emails\" jsonb_path_ops)");
    this.addSql("create index \"contact_search_trgm\" on \"contact\" using gin (\"search_text\" gin_trgm_ops)");
    this.addSql("create index \"contact_workspace_id_created_at_id_index\" on \"contact\" (\"workspace_id\", \"created_at\", \"id\")");
    this.addSql("create index \"contact_workspace_id_primary_email_index\" on \"contact\" (\"workspace_id\", \"primary_email\")");
    this.addSql("create table \"contact_tag\" (\"contact_id\" uuid not null, \"tag_id\" uuid not null, primary key (\"contact_id\", \"tag_id\"))");
    this.addSql("create table \"company_tag\" (\"company_id\" uuid not null, \"tag_id\" uuid not null, primary key (\"company_id\", \"tag_id\"))");
    this.addSql("create table \"activity\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"version\" int not null default 1, \"deleted_at\" timestamptz null, \"type\" \"activity_type\" not null, \"subject\" varchar(500) not null, \"body\" text null, \"occurred_at\" timestamptz not null, \"duration_seconds\" int null, \"direction\" \"activity_direction\" null, \"outcome\" varchar(200) null, \"due_at\" timestamptz null, \"assignee_id\" uuid null, \"priority\" \"task_priority\" null, \"completed_at\" timestamptz null, \"created_by_id\" uuid null, primary key (\"id\"))");
    this.addSql("create index \"activity_workspace_id_index\" on \"activity\" (\"workspace_id\")");
    this.addSql("create index \"activity_workspace_id_assignee_id_due_at_index\" on \"activity\" (\"workspace_id\", \"assignee_id\", \"due_at\")");
    this.addSql("create index \"activity_workspace_id_occurred_at_index\" on \"activity\" (\"workspace_id\", \"occurred_at\")");
    this.addSql("create table \"comment\" (\"id\" uuid not null, \"workspace_id\" uuid not null, \"created_at\" timestamptz not null, \"updated_at\" timestamptz not null, \"activity_id\" uuid not null, \"author_id\" uuid null, \"body\" text not null, \"mentioned_user_ids\" text[] not null, \"edited_at\" timestamptz null, \"deleted_at\" timestamptz null, primary key (\"id\"))");
    this.addSql("create index \"comment_workspace_id_index\" on \"comment\" (\"workspace_id\")");
    this.addSql("create index \"comment_activity_id_created_at_index\" on \"comment\" (\"activity_id\", \"created_at\")");
    this.addSql("alter table \"timeline_link\" add constraint \"timeline_link_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"timeline_event\" add constraint \"timeline_event_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"team_member\" add constraint \"team_member_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"team\" add constraint \"team_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"tag\" add constraint \"tag_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"membership\" add constraint \"membership_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"import_job\" add constraint \"import_job_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"import_row_error\" add constraint \"import_row_error_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"import_row_error\" add constraint \"import_row_error_job_id_foreign\" foreign key (\"job_id\") references \"import_job\" (\"id\") on delete cascade");
    this.addSql("alter table \"idempotency_record\" add constraint \"idempotency_record_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"custom_field_definition\" add constraint \"custom_field_definition_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"company\" add constraint \"company_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"company\" add constraint \"company_owner_id_foreign\" foreign key (\"owner_id\") references \"app_user\" (\"id\") on delete set null");
    this.addSql("alter table \"contact\" add constraint \"contact_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"contact\" add constraint \"contact_company_id_foreign\" foreign key (\"company_id\") references \"company\" (\"id\") on delete set null");
    this.addSql("alter table \"contact\" add constraint \"contact_owner_id_foreign\" foreign key (\"owner_id\") references \"app_user\" (\"id\") on delete set null");
    this.addSql("alter table \"contact_tag\" add constraint \"contact_tag_contact_id_foreign\" foreign key (\"contact_id\") references \"contact\" (\"id\") on update cascade on delete cascade");
    this.addSql("alter table \"contact_tag\" add constraint \"contact_tag_tag_id_foreign\" foreign key (\"tag_id\") references \"tag\" (\"id\") on update cascade on delete cascade");
    this.addSql("alter table \"company_tag\" add constraint \"company_tag_company_id_foreign\" foreign key (\"company_id\") references \"company\" (\"id\") on update cascade on delete cascade");
    this.addSql("alter table \"company_tag\" add constraint \"company_tag_tag_id_foreign\" foreign key (\"tag_id\") references \"tag\" (\"id\") on update cascade on delete cascade");
    this.addSql("alter table \"activity\" add constraint \"activity_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"activity\" add constraint \"activity_assignee_id_foreign\" foreign key (\"assignee_id\") references \"app_user\" (\"id\") on delete set null");
    this.addSql("alter table \"activity\" add constraint \"activity_created_by_id_foreign\" foreign key (\"created_by_id\") references \"app_user\" (\"id\") on delete set null");
    this.addSql("alter table \"comment\" add constraint \"comment_workspace_id_foreign\" foreign key (\"workspace_id\") references \"workspace\" (\"id\") on delete cascade");
    this.addSql("alter table \"comment\" add constraint \"comment_activity_id_foreign\" foreign key (\"activity_id\") references \"activity\" (\"id\") on delete cascade");
    this.addSql("alter table \"comment\" add constraint \"comment_author_id_foreign\" foreign key (\"author_id\") references \"app_user\" (\"id\") on delete set null");
  }

  override async down(): Promise<void> {
    for (const table of ["comment", "activity", "company_tag", "contact_tag", "contact", "company", "custom_field_definition", "idempotency_record", "import_row_error", "import_job", "membership", "tag", "team", "team_member", "timeline_event", "timeline_link", "workspace", "app_user"]) {
      this.addSql(`drop table if exists "${table}" cascade`);
    }
    for (const type of ["membership_role", "import_status", "custom_field_type", "lifecycle_stage", "consent_status", "activity_type", "activity_direction", "task_priority"]) {
      this.addSql(`drop type if exists "${type}"`);
    }
  }
}
