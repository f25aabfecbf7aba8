import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { User } from '../identity/user.entity.js';

/**
 * One notification of one user. Rows are written in bulk by `notify` (one INSERT … SELECT), never through the unit of
 * work; the entity exists for the schema. `inApp` / `email` / `digest` are the channels the recipient's preferences
 * chose when it was created: the inbox shows only `inApp` rows; `emailedAt` / `digestedAt` mark what was sent.
 */
@Entity({ tableName: 'notification' })
@TenantFilter()
@Unique({ name: 'notification_source_unique', properties: ['user', 'type', 'sourceEventId'] })
@Index({
  name: 'notification_inbox_idx',
  expression: 'create index "notification_inbox_idx" on "notification" ("workspace_id", "user_id", "read_at", "created_at" desc)',
})
export class Notification {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade' })
  workspaceId!: string;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  /** A registered notification type key: `comment.mentioned`, `task.assigned`, a plugin's `deal.rotting` … */
  @Property({ type: 'string', length: 120 })
  type!: string;

  @Property({ type: 'string', length: 500 })
  title!: string;

  @Property({ type: 'text', nullable: true })
  body?: string | null;

  /** What it is about: a GraphQL type name (`Activity`, `Contact`, `Deal`) and the record's raw id. */
  @Property({ type: 'string', length: 60, nullable: true })
  recordType?: string | null;

  @Property({ type: 'uuid', nullable: true })
  recordId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  actorId?: string | null;

  @Property({ type: 'json' })
  data: Opt<Record<string, unknown>> = {};

  /** What produced it (an event id, or a job's key such as `task:<id>:due:<iso>`): a redelivery inserts nothing twice. */
  @Property({ type: 'string', length: 200, nullable: true })
  sourceEventId?: string | null;

  @Property({ type: 'boolean', default: true })
  inApp: Opt<boolean> = true;

  @Property({ type: 'boolean', default: false })
  email: Opt<boolean> = false;

  @Property({ type: 'boolean', default: false })
  digest: Opt<boolean> = false;

  @Property({ type: 'datetime', nullable: true })
  readAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  emailedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  digestedAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  createdAt!: Date;
}

/** A user's choice for one notification type on one channel (`in_app`, `email`, `digest`); absent: the type's default. */
@Entity({ tableName: 'notification_preference' })
@TenantFilter()
@Unique({ name: 'notification_preference_unique', properties: ['workspaceId', 'userId', 'type', 'channel'] })
export class NotificationPreference extends TenantEntity {
  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 120 })
  type!: string;

  @Property({ type: 'string', length: 16 })
  channel!: string;

  @Property({ type: 'boolean' })
  enabled!: boolean;
}

/** A user's digest settings in one workspace: IANA time zone, local hour, and the last local date a digest went out. */
@Entity({ tableName: 'notification_user_setting' })
@TenantFilter()
@Unique({ name: 'notification_user_setting_unique', properties: ['workspaceId', 'userId'] })
export class NotificationUserSetting extends TenantEntity {
  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 64, default: 'UTC' })
  timeZone: Opt<string> = 'UTC';

  @Property({ type: 'integer', default: 8 })
  digestHour: Opt<number> = 8;

  /** `YYYY-MM-DD` in the user's time zone: one digest per local date. */
  @Property({ type: 'string', length: 10, nullable: true })
  lastDigestOn?: string | null;
}

/** Workspace-wide notification settings (`workspace:update`). */
@Entity({ tableName: 'notification_workspace_setting' })
@TenantFilter()
export class NotificationWorkspaceSetting {
  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, primary: true, deleteRule: 'cascade' })
  workspaceId!: string;

  /** Notify a contact's owner when nobody logged an activity on it for this many days; null: off. */
  @Property({ type: 'integer', nullable: true })
  staleContactDays?: number | null;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  updatedAt!: Date;
}
