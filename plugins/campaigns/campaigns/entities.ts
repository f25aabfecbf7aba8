import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { EditableTenantEntity, TenantFilter } from '../../../src/sdk/index.js';
import { CampaignTemplate } from '../templates/entities.js';

/** draft → scheduled → sending → sent, or cancelled from draft, scheduled or sending. */
export enum CampaignStatus {
  DRAFT = 'draft',
  SCHEDULED = 'scheduled',
  SENDING = 'sending',
  SENT = 'sent',
  CANCELLED = 'cancelled',
}

/** An email campaign: a template sent to the members of its segments (migration Migration20261210100000Campaigns). */
@Entity({ tableName: 'campaign' })
@TenantFilter()
@Index({ name: 'campaign_workspace_id_status_index', properties: ['workspaceId', 'status'] })
export class Campaign extends EditableTenantEntity {
  @Property({ type: 'string', length: 200 })
  name!: string;

  @ManyToOne({ entity: () => CampaignTemplate, fieldName: 'template_id', mapToPk: true, deleteRule: 'no action', updateRule: 'no action' })
  templateId!: string;

  /** The audience: the members of these segments (campaign_segment ids), each contact once. */
  @Property({ type: 'text[]' })
  segmentIds: Opt<string[]> = [];

  /** One of the settings' `senders` (by address); null: the server's MAIL_FROM. */
  @Property({ type: 'string', length: 320, nullable: true })
  senderAddress?: string | null;

  @Property({ type: 'string', length: 100, nullable: true })
  senderName?: string | null;

  @Property({ type: 'string', length: 16, default: 'draft' })
  status: Opt<CampaignStatus> = CampaignStatus.DRAFT;

  @Property({ type: 'datetime', nullable: true })
  scheduledAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;

  /** What the campaign cost, integer minor units of `costCurrency` (for ROI). */
  @Property({ type: 'integer', nullable: true })
  costAmount?: number | null;

  @Property({ type: 'string', length: 3, nullable: true })
  costCurrency?: string | null;

  /** Recipients materialised when it started (send rows). */
  @Property({ type: 'integer', default: 0 })
  recipientCount: Opt<number> = 0;

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;
}

export const campaignEntities = [Campaign];
