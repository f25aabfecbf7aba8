import type { Opt } from '@mikro-orm/core';
import { Collection } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToMany, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { EditableTenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { User } from '../identity/user.entity.js';
import { Tag } from '../tags/tag.entity.js';
import { LifecycleStage, type CustomFieldValues, type PhoneEntry, type PostalAddress } from '../shared/value-objects.js';

@Entity()
@TenantFilter()
@Index({ properties: ['workspaceId', 'primaryDomain'] })
@Index({ properties: ['workspaceId', 'createdAt', 'id'] })
@Index({
  name: 'company_search_trgm',
  expression: 'create index "company_search_trgm" on "company" using gin ("search_text" gin_trgm_ops)',
})
@Index({ name: 'company_domains_gin', expression: 'create index "company_domains_gin" on "company" using gin ("domains")' })
@Index({
  name: 'company_custom_fields_gin',
  expression: 'create index "company_custom_fields_gin" on "company" using gin ("custom_fields" jsonb_path_ops)',
})
export class Company extends EditableTenantEntity {
  @Property({ type: 'string', length: 300 })
  name!: string;

  /** Lower-cased, without scheme or `www.`; the first is the primary domain. */
  @Property({ type: 'text[]' })
  domains: Opt<string[]> = [];

  @Property({ type: 'string', length: 253, nullable: true })
  primaryDomain?: string | null;

  @Property({ type: 'string', length: 120, nullable: true })
  industry?: string | null;

  @Property({ type: 'integer', nullable: true })
  employeeCount?: number | null;

  /** Money in integer minor units. */
  @Property({ type: 'bigint', nullable: true })
  annualRevenueAmount?: number | null;

  @Property({ type: 'string', length: 3, nullable: true })
  annualRevenueCurrency?: string | null;

  @Property({ type: 'json', nullable: true })
  address?: PostalAddress | null;

  @Property({ type: 'json' })
  phones: Opt<PhoneEntry[]> = [];

  @Property({ type: 'string', length: 2048, nullable: true })
  website?: string | null;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  owner?: User | null;

  @ManyToMany({ entity: () => Tag, pivotTable: 'company_tag', joinColumn: 'company_id', inverseJoinColumn: 'tag_id' })
  tags = new Collection<Tag>(this);

  @Enum({ items: () => LifecycleStage, nativeEnumName: 'lifecycle_stage', nullable: true })
  lifecycleStage?: LifecycleStage | null;

  @Property({ type: 'json' })
  customFields: Opt<CustomFieldValues> = {};

  /** Lower-cased, unaccented text that `search` matches (name, domains, phones). */
  @Property({ type: 'text', lazy: true })
  searchText: Opt<string> = '';

  @Property({ type: 'uuid', nullable: true })
  mergedIntoId?: string | null;
}
