import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { Activity } from '../activities/activity.entity.js';
import { User } from '../identity/user.entity.js';

@Entity()
@TenantFilter()
@Index({ properties: ['activity', 'createdAt'] })
export class Comment extends TenantEntity {
  @ManyToOne({ entity: () => Activity, deleteRule: 'cascade' })
  activity!: Activity;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  author?: User | null;

  @Property({ type: 'text' })
  body!: string;

  /** Users @mentioned in the body. */
  @Property({ type: 'uuid[]' })
  mentionedUserIds: Opt<string[]> = [];

  @Property({ type: 'datetime', nullable: true })
  editedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;
}
