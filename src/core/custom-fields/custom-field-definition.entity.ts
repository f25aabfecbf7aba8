import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

export enum CustomFieldType {
  TEXT = 'TEXT',
  NUMBER = 'NUMBER',
  MONEY = 'MONEY',
  DATE = 'DATE',
  BOOLEAN = 'BOOLEAN',
  SELECT = 'SELECT',
  MULTI_SELECT = 'MULTI_SELECT',
  URL = 'URL',
  EMAIL = 'EMAIL',
}

export interface CustomFieldOption {
  value: string;
  label: string;
}

/** An admin-defined field on an object type (`Company`, `Contact`, or a plugin's record type). */
@Entity()
@TenantFilter()
@Unique({ properties: ['workspaceId', 'objectType', 'key'] })
export class CustomFieldDefinition extends TenantEntity {
  @Property({ type: 'string', length: 40 })
  objectType!: string;

  /** Stable identifier used in values, filters and `orderBy`: `[a-z][a-zA-Z0-9_]*`. */
  @Property({ type: 'string', length: 64 })
  key!: string;

  @Property({ type: 'string', length: 200 })
  label!: string;

  @Enum({ items: () => CustomFieldType, nativeEnumName: 'custom_field_type' })
  type!: CustomFieldType;

  @Property({ type: 'boolean' })
  required: Opt<boolean> = false;

  @Property({ type: 'json' })
  options: Opt<CustomFieldOption[]> = [];

  @Property({ type: 'double', nullable: true })
  min?: number | null;

  @Property({ type: 'double', nullable: true })
  max?: number | null;

  @Property({ type: 'integer', nullable: true })
  maxLength?: number | null;

  /** Currency of MONEY fields (values are integer minor units). */
  @Property({ type: 'string', length: 3, nullable: true })
  currency?: string | null;

  @Property({ type: 'integer' })
  position: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  archivedAt?: Date | null;
}
