import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money, expectGlobalId, readRows, runMutation, sql, toGlobalId, type RequestContext } from '../../../src/sdk/index.js';
import { CampaignTemplate } from '../templates/entities.js';
import { CampaignTemplateNode } from '../templates/template.types.js';
import { CAMPAIGN, createCampaign, deleteCampaign, updateCampaign } from './campaign.service.js';
import { SEGMENT } from '../segments/segment.service.js';
import {
  CampaignIdInput,
  CampaignNode,
  CampaignPayload,
  CreateCampaignInput,
  DeleteCampaignPayload,
  UpdateCampaignInput,
} from './campaign.types.js';
import { Campaign } from './entities.js';

@Resolver(() => CampaignNode)
export class CampaignResolver {
  @Query(() => [CampaignNode], { description: 'The workspace’s campaigns, newest first (campaign:read).' })
  async campaigns(@Ctx() ctx: RequestContext) {
    const q = sql`select * from campaign where workspace_id = ${ctx.principal.workspaceId} and deleted_at is null order by created_at desc, id limit 500`;
    return readRows(ctx.em, Campaign, await ctx.em.execute(q.text, q.params));
  }

  @Query(() => CampaignNode, { nullable: true })
  campaign(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.em.findOne(Campaign, { id: expectGlobalId(id, CAMPAIGN, 'id'), deletedAt: null });
  }

  @Mutation(() => CampaignPayload, { description: 'Creates a draft campaign (campaign:manage).' })
  createCampaign(@Arg('input', () => CreateCampaignInput) input: CreateCampaignInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ campaign: await createCampaign(tx, input) }));
  }

  @Mutation(() => CampaignPayload, { description: 'Changes a draft campaign (campaign:manage).' })
  updateCampaign(@Arg('input', () => UpdateCampaignInput) input: UpdateCampaignInput, @Ctx() ctx: RequestContext) {
    const { id, ...fields } = input;
    return runMutation(ctx, async (tx) => ({ campaign: await updateCampaign(tx, id, fields) }));
  }

  @Mutation(() => DeleteCampaignPayload, { description: 'Deletes a draft campaign (campaign:manage).' })
  deleteCampaign(@Arg('input', () => CampaignIdInput) input: CampaignIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deletedId: toGlobalId(CAMPAIGN, await deleteCampaign(tx, input.id, input.version)) }));
  }

  @FieldResolver(() => ID)
  id(@Root() campaign: Campaign) {
    return toGlobalId(CAMPAIGN, campaign.id);
  }

  @FieldResolver(() => CampaignTemplateNode, { nullable: true })
  template(@Root() campaign: Campaign, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(CampaignTemplate).load(campaign.templateId);
  }

  @FieldResolver(() => [ID], { description: 'The segments whose members are the audience.' })
  segmentIds(@Root() campaign: Campaign) {
    return campaign.segmentIds.map((id) => toGlobalId(SEGMENT, id));
  }

  @FieldResolver(() => Money, { nullable: true, description: 'What it cost (for ROI).' })
  cost(@Root() campaign: Campaign) {
    return campaign.costAmount != null && campaign.costCurrency
      ? { amount: Number(campaign.costAmount), currency: campaign.costCurrency }
      : null;
  }
}
