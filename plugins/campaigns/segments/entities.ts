import type { Opt } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { Contact, EditableTenantEntity, TenantFilter, Workspace } from '../../../src/sdk/index.js';

export enum SegmentKind {
  /** Members added and removed by hand or by a CSV import. */
  STATIC = 'static',
  /** Members are the contacts its rules match, kept current as contacts change. */
  DYNAMIC = 'dynamic',
}

export enum MemberSource {
  MANUAL = 'manual',
  IMPORT = 'import',
  RULES = 'rules',
}

/** A static list or a dynamic segment of contacts (migration Migration20261210000000CampaignSegments). */
@Entity({ tableName: 'campaign_segment' })
@TenantFilter()
@Index({
  name: 'campaign_segment_workspace_id_name_live_unique',
  expression:
    'create unique index "campaign_segment_workspace_id_name_live_unique" on "campaign_segment" ("workspace_id", lower("name")) where "deleted_at" is null',
})
@Check({ name: 'campaign_segment_kind_check', expression: `"kind" in ('static', 'dynamic')` })
export class CampaignSegment extends EditableTenantEntity {
  @Property({ type: 'string', length: 120 })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'string', length: 8 })
  kind!: SegmentKind;

  /** The rule tree of a dynamic segment (the SDK's contact rules); null for a static list. */
  @Property({ type: 'json', nullable: true })
  rules?: unknown;

  /** Members now (kept with every change of membership). */
  @Property({ type: 'integer', default: 0 })
  memberCount: Opt<number> = 0;

  /** When a dynamic segment's membership was last computed in full. */
  @Property({ type: 'datetime', nullable: true })
  evaluatedAt?: Date | null;

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;
}

/** A contact's membership of a segment: the audience campaigns send to and what `segment.entered` / `exited` follow. */
@Entity({ tableName: 'campaign_segment_member' })
@TenantFilter()
export class CampaignSegmentMember {
  @ManyToOne({
    entity: () => CampaignSegment,
    fieldName: 'segment_id',
    mapToPk: true,
    primary: true,
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  segmentId!: string;

  @ManyToOne({
    entity: () => Contact,
    fieldName: 'contact_id',
    mapToPk: true,
    primary: true,
    deleteRule: 'cascade',
    updateRule: 'no action',
    index: true,
  })
  contactId!: string;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @Property({ type: 'string', length: 8 })
  source!: MemberSource;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  addedAt: Opt<Date> = new Date();
}

export const segmentEntities = [CampaignSegment, CampaignSegmentMember];
