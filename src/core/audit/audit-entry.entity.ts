import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One append-only audit entry. Written only with plain inserts (`recordAudit`, the audit subscriber), never
 * through the unit of work; a trigger refuses UPDATE, DELETE and TRUNCATE. `workspaceId` is null for events
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
      body: `raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = '42501'`,
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
