import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

/** Remembers which record a create mutation with an idempotency key produced, so a retry returns it. */
@Entity()
@TenantFilter()
@Unique({ properties: ['workspaceId', 'operation', 'key'] })
export class IdempotencyRecord extends TenantEntity {
  @Property({ type: 'string', length: 60 })
  operation!: string;

  @Property({ type: 'string', length: 200 })
  key!: string;

  @Property({ type: 'uuid' })
  resultId!: string;
}
