import type { Opt } from '@mikro-orm/core';
import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { BuiltinRoleKey } from '../../permissions/builtin-roles.js';

/** The built-in roles' keys; a membership may also hold a custom role's id. */
export { BuiltinRoleKey as MembershipRole };

/** A user's membership of one workspace, with the role that decides what they may do there. */
@Entity()
@TenantFilter()
@Unique({ properties: ['workspaceId', 'userId'] })
export class Membership extends TenantEntity {
  @Property({ type: 'uuid', index: true })
  userId!: string;

  /** A built-in role key (`SALES`) or a custom role's id. */
  @Property({ type: 'string', length: 64 })
  role: Opt<string> = BuiltinRoleKey.SALES;
}

@Entity()
@TenantFilter()
export class Team extends TenantEntity {
  @Property({ type: 'string', length: 200 })
  name!: string;
}

@Entity()
@TenantFilter()
@Unique({ properties: ['teamId', 'userId'] })
export class TeamMember extends TenantEntity {
  @Property({ type: 'uuid' })
  teamId!: string;

  @Property({ type: 'uuid', index: true })
  userId!: string;
}
