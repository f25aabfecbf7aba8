import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

@Entity()
@TenantFilter()
@Unique({ properties: ['workspaceId', 'normalizedName'] })
export class Tag extends TenantEntity {
  @Property({ type: 'string', length: 80 })
  name!: string;

  /** Lower-cased name: tags are unique per workspace regardless of case. */
  @Property({ type: 'string', length: 80 })
  normalizedName!: string;

  @Property({ type: 'string', length: 7, nullable: true })
  color?: string | null;
}
