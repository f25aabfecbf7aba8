import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Contact, TenantEntity, TenantFilter } from '../../../src/sdk/index.js';
import { Campaign } from '../campaigns/entities.js';

/**
 * queued → claimed → sent (handed to the kernel's email service: message recorded, delivery queued) → delivered
 * (the SMTP server accepted it) | failed; or skipped (suppressed, with `skipReason`).
 */
export enum SendStatus {
  QUEUED = 'queued',
  CLAIMED = 'claimed',
  SENT = 'sent',
  DELIVERED = 'delivered',
  FAILED = 'failed',
  SKIPPED = 'skipped',
}

/** Why a recipient was not sent the campaign (checked just before each send). */
export enum SkipReason {
  DO_NOT_CONTACT = 'do_not_contact',
  DO_NOT_EMAIL = 'do_not_email',
  NO_CONSENT = 'no_consent',
  UNSUBSCRIBED = 'unsubscribed',
  BOUNCED = 'bounced',
  COMPLAINED = 'complained',
  NO_EMAIL = 'no_email',
  PRIVACY_SUPPRESSED = 'privacy_suppressed',
  /** The contact was deleted (or trashed) between the start and its turn. */
  CONTACT_GONE = 'contact_gone',
  /** The campaign was cancelled before its turn. */
  CANCELLED = 'cancelled',
}

/** One recipient of one campaign: the unique row that makes each recipient receive it once. */
@Entity({ tableName: 'campaign_send' })
@TenantFilter()
@Unique({ name: 'campaign_send_campaign_id_contact_id_unique', properties: ['campaignId', 'contactId'] })
@Index({ name: 'campaign_send_campaign_id_status_index', properties: ['campaignId', 'status'] })
@Index({ name: 'campaign_send_workspace_id_sent_at_index', properties: ['workspaceId', 'sentAt'] })
export class CampaignSend extends TenantEntity {
  @ManyToOne({ entity: () => Campaign, fieldName: 'campaign_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'no action' })
  campaignId!: string;

  @ManyToOne({ entity: () => Contact, fieldName: 'contact_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'no action', index: true })
  contactId!: string;

  @Property({ type: 'string', length: 16, default: 'queued' })
  status: Opt<SendStatus> = SendStatus.QUEUED;

  @Property({ type: 'string', length: 32, nullable: true })
  skipReason?: SkipReason | null;

  /** The address it was sent to. */
  @Property({ type: 'string', length: 320, nullable: true })
  email?: string | null;

  /** The claim (batch) that holds the row while status is `claimed`, and when it was taken (the lease). */
  @Property({ type: 'uuid', nullable: true })
  claimToken?: string | null;

  @Property({ type: 'datetime', nullable: true })
  claimedAt?: Date | null;

  /** The kernel's email_message, recorded in the same transaction that set status `sent`. */
  @Property({ type: 'uuid', nullable: true })
  messageId?: string | null;

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  deliveredAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  failedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;
}

export enum SuppressionKind {
  UNSUBSCRIBED = 'unsubscribed',
  BOUNCED = 'bounced',
  COMPLAINED = 'complained',
}

/** An address campaigns no longer send to: unsubscribed, hard-bounced or complained (lower-cased address). */
@Entity({ tableName: 'campaign_suppression' })
@TenantFilter()
@Unique({ name: 'campaign_suppression_workspace_id_email_kind_unique', properties: ['workspaceId', 'email', 'kind'] })
export class CampaignSuppression extends TenantEntity {
  @Property({ type: 'string', length: 320 })
  email!: string;

  @Property({ type: 'string', length: 16 })
  kind!: SuppressionKind;

  @Property({ type: 'uuid', nullable: true, index: true })
  contactId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  campaignId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  sendId?: string | null;

  /** The SMTP answer of a bounce. */
  @Property({ type: 'text', nullable: true })
  detail?: string | null;
}

export const sendingEntities = [CampaignSend, CampaignSuppression];
