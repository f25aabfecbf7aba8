import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLISODateTime } from 'type-graphql';
import { MoneyInput, Node, UserError } from '../../../src/sdk/index.js';
import { CampaignStatus } from './entities.js';

registerEnumType(CampaignStatus, { name: 'CampaignStatus', description: 'draft → scheduled → sending → sent, or cancelled.' });

@ObjectType('CampaignSkipCount')
export class CampaignSkipCount {
  @Field({
    description:
      'do_not_contact, do_not_email, no_consent, unsubscribed, bounced, complained, no_email, privacy_suppressed, contact_gone, cancelled',
  })
  reason!: string;
  @Field(() => Int) count!: number;
}

@ObjectType('CampaignLinkStats')
export class CampaignLinkStats {
  @Field(() => Int) index!: number;
  @Field() url!: string;
  @Field(() => Int) clicks!: number;
  @Field(() => Int) uniqueClicks!: number;
}

@ObjectType('CampaignStats', { description: 'Counted in SQL. Opens and clicks are human ones: machine opens/clicks are left out.' })
export class CampaignStats {
  @Field(() => Int) recipients!: number;
  @Field(() => Int, { description: 'Handed to the email service (a message recorded).' }) sent!: number;
  @Field(() => Int) skipped!: number;
  @Field(() => [CampaignSkipCount]) skippedByReason!: CampaignSkipCount[];
  @Field(() => Int, { description: 'Accepted by the SMTP server.' }) delivered!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) queued!: number;
  @Field(() => Int) uniqueOpens!: number;
  @Field(() => Int) totalOpens!: number;
  @Field(() => Int) machineOpens!: number;
  @Field(() => Int) uniqueClicks!: number;
  @Field(() => Int) totalClicks!: number;
  @Field(() => Float, { nullable: true, description: 'Unique clickers / unique openers (null without opens).' }) clickToOpenRate?:
    | number
    | null;
  @Field(() => Int) unsubscribes!: number;
  @Field(() => Int) bounces!: number;
  @Field(() => [CampaignLinkStats]) links!: CampaignLinkStats[];
}

@ObjectType('Campaign', { implements: Node, description: 'An email campaign (campaigns).' })
export class CampaignNode extends Node {
  @Field() name!: string;
  @Field(() => CampaignStatus) status!: CampaignStatus;
  @Field(() => GraphQLISODateTime, { nullable: true }) scheduledAt?: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) startedAt?: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) finishedAt?: Date | null;
  @Field(() => String, { nullable: true, description: 'The sender address; null: the server’s MAIL_FROM.' }) senderAddress?: string | null;
  @Field(() => String, { nullable: true }) senderName?: string | null;
  @Field(() => Int, { description: 'Recipients materialised when it started.' }) recipientCount!: number;
  @Field(() => Int) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@InputType()
export class CreateCampaignInput {
  @Field() name!: string;
  @Field(() => ID) templateId!: string;
  @Field(() => [ID], { defaultValue: [] }) segmentIds!: string[];
  @Field(() => String, { nullable: true, description: 'One of the settings’ `senders`; null: the server’s MAIL_FROM.' }) senderAddress?:
    | string
    | null;
  @Field(() => MoneyInput, { nullable: true }) cost?: MoneyInput | null;
}

@InputType({ description: 'Drafts only; only the given fields change.' })
export class UpdateCampaignInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => ID, { nullable: true }) templateId?: string | null;
  @Field(() => [ID], { nullable: true }) segmentIds?: string[] | null;
  @Field(() => String, { nullable: true }) senderAddress?: string | null;
  @Field(() => MoneyInput, { nullable: true }) cost?: MoneyInput | null;
}

@InputType()
export class CampaignIdInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
}

@InputType()
export class ScheduleCampaignInput {
  @Field(() => ID) id!: string;
  @Field(() => GraphQLISODateTime, { description: 'When to start; must be in the future.' }) at!: Date;
}

@ObjectType()
export class CampaignPayload {
  @Field(() => CampaignNode, { nullable: true }) campaign?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class RetryFailedCampaignSendsPayload {
  @Field(() => CampaignNode, { nullable: true }) campaign?: unknown;
  @Field(() => Int, { nullable: true }) requeued?: number | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteCampaignPayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
