import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TenantFilter, Workspace } from '../../../src/sdk/index.js';
import { Campaign } from '../campaigns/entities.js';
import { CampaignSend } from '../sending/entities.js';

/** A link of a campaign's template, numbered in order of appearance: click redirects go only here. */
@Entity({ tableName: 'campaign_link' })
@TenantFilter()
export class CampaignLink {
  @ManyToOne({
    entity: () => Campaign,
    fieldName: 'campaign_id',
    mapToPk: true,
    primary: true,
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  campaignId!: string;

  @PrimaryKey({ type: 'integer' })
  linkIndex!: number;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @Property({ type: 'text' })
  url!: string;
}

export enum EngagementKind {
  OPEN = 'open',
  CLICK = 'click',
}

/** An open or a click of a campaign message (machine: a privacy proxy's prefetch or a link scanner, not a person). */
@Entity({ tableName: 'campaign_engagement' })
@TenantFilter()
@Index({ name: 'campaign_engagement_campaign_id_kind_index', properties: ['campaignId', 'kind'] })
export class CampaignEngagement {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @ManyToOne({ entity: () => Campaign, fieldName: 'campaign_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'no action' })
  campaignId!: string;

  @ManyToOne({
    entity: () => CampaignSend,
    fieldName: 'send_id',
    mapToPk: true,
    deleteRule: 'cascade',
    updateRule: 'no action',
    index: true,
  })
  sendId!: string;

  @Property({ type: 'uuid', index: true })
  contactId!: string;

  @Property({ type: 'string', length: 8 })
  kind!: EngagementKind;

  @Property({ type: 'integer', nullable: true })
  linkIndex?: number | null;

  @Property({ type: 'boolean', default: false })
  machine: Opt<boolean> = false;

  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  userAgent?: string | null;

  @Property({ type: 'datetime' })
  occurredAt!: Date;
}

export const trackingEntities = [CampaignLink, CampaignEngagement];
