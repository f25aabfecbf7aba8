import type { Opt } from '@mikro-orm/core';
import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

/** A timeline entry recorded by a plugin (a deal changed stage, a ticket was answered…). */
@Entity()
@TenantFilter()
export class TimelineEvent extends TenantEntity {
  /** Namespaced type, e.g. `deal.stageChanged`. */
  @Property({ type: 'string', length: 80 })
  entryType!: string;

  @Property({ type: 'string', length: 500 })
  title!: string;

  @Property({ type: 'text', nullable: true })
  body?: string | null;

  @Property({ type: 'json' })
  data: Opt<Record<string, unknown>> = {};

  @Property({ type: 'datetime' })
  occurredAt: Opt<Date> = new Date();

  @Property({ type: 'uuid', nullable: true })
  actorId?: string | null;
}
