import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import type { FieldAllowlist } from '../../permissions/builtin-roles.js';
import type { Scope } from '../../permissions/permission-registry.js';

/** A role an admin defined for one workspace (the built-in roles live in code, see builtin-roles.ts). */
@Entity({ tableName: 'custom_role' })
@TenantFilter()
@Unique({ properties: ['workspaceId', 'name'] })
export class CustomRole extends TenantEntity {
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  /** Permission name → scope. */
  @Property({ type: 'json' })
  grants: Opt<Record<string, Scope>> = {};

  @Property({ type: 'json', nullable: true })
  fieldAllowlist?: FieldAllowlist | null;
}
