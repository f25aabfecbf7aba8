import { Entity, Index, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

/** Kinds of things a timeline shows: kernel activities, and events recorded by plugins. */
export enum TimelineEntryKind {
  ACTIVITY = 'activity',
  EVENT = 'event',
}

/**
 * One row per (entry, target): puts an activity or a plugin's timeline event on the timeline of a contact, a
 * company or any record a plugin adds (deal, ticket). `occurredAt` and `entryType` are copied from the entry so a
 * timeline page is one index range scan.
 */
@Entity()
@TenantFilter()
@Index({ name: 'timeline_link_target_idx', properties: ['workspaceId', 'targetType', 'targetId', 'occurredAt', 'entryId'] })
@Index({ properties: ['entryId'] })
@Unique({ properties: ['entryId', 'targetType', 'targetId'] })
export class TimelineLink extends TenantEntity {
  @Property({ type: 'string', length: 40 })
  targetType!: string;

  @Property({ type: 'uuid' })
  targetId!: string;

  @Property({ type: 'string', length: 16 })
  entryKind!: TimelineEntryKind;

  @Property({ type: 'uuid' })
  entryId!: string;

  /** Activity type (CALL, TASK, …) or a plugin's event type (`deal.stageChanged`). */
  @Property({ type: 'string', length: 80 })
  entryType!: string;

  @Property({ type: 'datetime' })
  occurredAt!: Date;
}
