import type { Opt } from '@mikro-orm/core';
import { Collection } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToMany, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { EditableTenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { User } from '../identity/user.entity.js';
import { Tag } from '../tags/tag.entity.js';
import { Company } from './company.entity.js';
import { LifecycleStage, type CustomFieldValues, type EmailEntry, type PhoneEntry, type PostalAddress } from '../shared/value-objects.js';

export enum ConsentStatus {
  UNKNOWN = 'UNKNOWN',
  GRANTED = 'GRANTED',
  WITHDRAWN = 'WITHDRAWN',
}

@Entity()
@TenantFilter()
@Index({ properties: ['workspaceId', 'primaryEmail'] })
@Index({ properties: ['workspaceId', 'createdAt', 'id'] })
@Index({
  name: 'contact_search_trgm',
  expression: 'create index "contact_search_trgm" on "contact" using gin ("search_text" gin_trgm_ops)',
})
@Index({ name: 'contact_emails_gin', expression: 'create index "contact_emails_gin" on "contact" using gin ("emails" jsonb_path_ops)' })
@Index({
  name: 'contact_custom_fields_gin',
  expression: 'create index "contact_custom_fields_gin" on "contact" using gin ("custom_fields" jsonb_path_ops)',
})
export class Contact extends EditableTenantEntity {
  @Property({ type: 'string', length: 200, nullable: true })
  firstName?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  lastName?: string | null;

  @Property({ type: 'json' })
  emails: Opt<EmailEntry[]> = [];

  /** Lower-cased primary email, indexed for upsert and duplicate detection. */
  @Property({ type: 'string', length: 320, nullable: true })
  primaryEmail?: string | null;

  @Property({ type: 'json' })
  phones: Opt<PhoneEntry[]> = [];

  @Property({ type: 'string', length: 200, nullable: true })
  jobTitle?: string | null;

  @ManyToOne({ entity: () => Company, nullable: true, deleteRule: 'set null', index: true })
  company?: Company | null;

  @Property({ type: 'json', nullable: true })
  address?: PostalAddress | null;

  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  owner?: User | null;

  @ManyToMany({ entity: () => Tag, pivotTable: 'contact_tag', joinColumn: 'contact_id', inverseJoinColumn: 'tag_id' })
  tags = new Collection<Tag>(this);

  @Enum({ items: () => LifecycleStage, nativeEnumName: 'lifecycle_stage' })
  lifecycleStage: Opt<LifecycleStage> = LifecycleStage.LEAD;

  @Property({ type: 'string', length: 120, nullable: true })
  source?: string | null;

  @Enum({ items: () => ConsentStatus, nativeEnumName: 'consent_status' })
  marketingConsent: Opt<ConsentStatus> = ConsentStatus.UNKNOWN;

  @Property({ type: 'datetime', nullable: true })
  consentUpdatedAt?: Date | null;

  @Property({ type: 'boolean' })
  doNotContact: Opt<boolean> = false;

  @Property({ type: 'boolean' })
  doNotEmail: Opt<boolean> = false;

  @Property({ type: 'boolean' })
  doNotCall: Opt<boolean> = false;

  @Property({ type: 'json' })
  customFields: Opt<CustomFieldValues> = {};

  @Property({ type: 'text', lazy: true })
  searchText: Opt<string> = '';

  @Property({ type: 'uuid', nullable: true })
  mergedIntoId?: string | null;
}
