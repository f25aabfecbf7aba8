import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../../src/sdk/index.js';

/** A contact's loyalty balance in one workspace (one row per contact that was ever awarded points). */
@Entity({ tableName: 'loyalty_account' })
@TenantFilter()
@Unique({ properties: ['workspaceId', 'contactId'] })
export class LoyaltyAccount extends TenantEntity {
  /** The kernel contact's id (uuid, not the global id). */
  @Property({ type: 'uuid' })
  contactId!: string;

  @Property({ type: 'integer' })
  points: number = 0;
}
