import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

export enum MembershipRole {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MANAGER = 'MANAGER',
  SALES = 'SALES',
  SUPPORT = 'SUPPORT',
  MARKETING = 'MARKETING',
  READ_ONLY = 'READ_ONLY',
}

/** A user's membership of one workspace, with the role that decides what they may do there. */
@Entity()
@TenantFilter()
@Unique({ properties: ['workspaceId', 'userId'] })
export class Membership extends TenantEntity {
  @Property({ type: 'uuid', index: true })
  userId!: string;

  @Enum({ items: () => MembershipRole, nativeEnumName: 'membership_role' })
  role: Opt<MembershipRole> = MembershipRole.SALES;
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
