import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One append-only audit entry. Written only with plain inserts (`recordAudit`, the audit subscriber), never
 * through the unit of work; a trigger refuses UPDATE (but the erasure's redaction of values), DELETE and TRUNCATE. `workspaceId` is null for events
 * that belong to no known workspace (a failed sign-in naming an unknown workspace), and carries no foreign key:
 * the log outlives what it describes.
 */
@Entity({
  tableName: 'audit_log',
  // TRUNCATE is refused by a statement trigger created in the migration (information_schema does not list truncate triggers)
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      // one exception: the privacy erasure's redaction (crm_privacy.redact_audit, run as the table's owner with
      // app.audit_redaction on) may rewrite `changes` and `metadata`, nothing else (src/core/audit/README.md)
      body: `if tg_op = 'UPDATE' and current_setting('app.audit_redaction', true) = 'on' and current_user = (select r.rolname from pg_class c join pg_roles r on r.oid = c.relowner where c.oid = tg_relid) and (new.id, new.workspace_id, new.occurred_at, new.actor_user_id, new.actor_api_key_id, new.action, new.object_type, new.object_id, new.ip) is not distinct from (old.id, old.workspace_id, old.occurred_at, old.actor_user_id, old.actor_api_key_id, old.action, old.object_type, old.object_id, old.ip) then return new; end if; raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = '42501'`,
    },
  ],
})
@Index({
  name: 'audit_log_workspace_time_idx',
  expression: 'create index "audit_log_workspace_time_idx" on "audit_log" ("workspace_id", "occurred_at" desc, "id" desc)',
})
@Index({
  name: 'audit_log_object_idx',
  expression: 'create index "audit_log_object_idx" on "audit_log" ("workspace_id", "object_type", "object_id", "occurred_at" desc)',
})
@Index({
  name: 'audit_log_actor_idx',
  expression: 'create index "audit_log_actor_idx" on "audit_log" ("workspace_id", "actor_user_id", "occurred_at" desc)',
})
export class AuditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @Property({ type: 'uuid', nullable: true })
  workspaceId?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  occurredAt: Opt<Date> = new Date();

  @Property({ type: 'uuid', nullable: true })
  actorUserId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  actorApiKeyId?: string | null;

  /** `<objectType>.<verb>`, e.g. `contact.updated`, `auth.signInFailed`. */
  @Property({ type: 'string', length: 80 })
  action!: string;

  @Property({ type: 'string', length: 60, nullable: true })
  objectType?: string | null;

  /** Usually a uuid; text so that events about non-uuid things (an email address) fit. */
  @Property({ type: 'string', length: 200, nullable: true })
  objectId?: string | null;

  /** Field → { before, after }; secrets are never stored. */
  @Property({ type: 'json', nullable: true })
  changes?: Record<string, { before: unknown; after: unknown }> | null;

  @Property({ type: 'json', nullable: true })
  metadata?: Record<string, unknown> | null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string | null;
}
