import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { EditableTenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { User } from '../identity/user.entity.js';

export enum ActivityType {
  CALL = 'CALL',
  EMAIL = 'EMAIL',
  MEETING = 'MEETING',
  NOTE = 'NOTE',
  TASK = 'TASK',
}

export enum ActivityDirection {
  INBOUND = 'INBOUND',
  OUTBOUND = 'OUTBOUND',
}

export enum TaskPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}

/** A call, email, meeting, note or task. It reaches its targets' timelines through `TimelineLink` rows. */
@Entity()
@TenantFilter()
@Index({ properties: ['workspaceId', 'occurredAt'] })
@Index({ properties: ['workspaceId', 'assignee', 'dueAt'] })
export class Activity extends EditableTenantEntity {
  @Enum({ items: () => ActivityType, nativeEnumName: 'activity_type' })
  type!: ActivityType;

  @Property({ type: 'string', length: 500 })
  subject!: string;

  @Property({ type: 'text', nullable: true })
  body?: string | null;

  @Property({ type: 'datetime' })
  occurredAt: Opt<Date> = new Date();

  @Property({ type: 'integer', nullable: true })
  durationSeconds?: number | null;

  @Enum({ items: () => ActivityDirection, nativeEnumName: 'activity_direction', nullable: true })
  direction?: ActivityDirection | null;

  @Property({ type: 'string', length: 200, nullable: true })
  outcome?: string | null;

  @Property({ type: 'datetime', nullable: true })
  dueAt?: Date | null;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  assignee?: User | null;

  @Enum({ items: () => TaskPriority, nativeEnumName: 'task_priority', nullable: true })
  priority?: TaskPriority | null;

  @Property({ type: 'datetime', nullable: true })
  completedAt?: Date | null;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  createdBy?: User | null;
}
