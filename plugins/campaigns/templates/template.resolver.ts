import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { asUserErrors, expectGlobalId, readRows, runMutation, sql, toGlobalId, type RequestContext } from '../../../src/sdk/index.js';
import { CampaignTemplate } from './entities.js';
import { CAMPAIGN_TEMPLATE, createTemplate, deleteTemplate, previewTemplate, updateTemplate } from './template.service.js';
import {
  CampaignTemplateNode,
  CampaignTemplatePayload,
  CreateCampaignTemplateInput,
  DeleteCampaignTemplateInput,
  DeleteCampaignTemplatePayload,
  PreviewCampaignTemplateInput,
  PreviewCampaignTemplatePayload,
  UpdateCampaignTemplateInput,
} from './template.types.js';

@Resolver(() => CampaignTemplateNode)
export class CampaignTemplateResolver {
  @Query(() => [CampaignTemplateNode], { description: 'The workspace’s campaign templates by name (campaign:read).' })
  async campaignTemplates(@Ctx() ctx: RequestContext) {
    const q = sql`select * from campaign_template where workspace_id = ${ctx.principal.workspaceId} and deleted_at is null order by lower(name), id`;
    return readRows(ctx.em, CampaignTemplate, await ctx.em.execute(q.text, q.params));
  }

  @Query(() => CampaignTemplateNode, { nullable: true })
  campaignTemplate(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.em.findOne(CampaignTemplate, { id: expectGlobalId(id, CAMPAIGN_TEMPLATE, 'id'), deletedAt: null });
  }

  @Query(() => PreviewCampaignTemplatePayload, {
    description: 'The template rendered for a contact the caller may read, with placeholder campaign values; writes nothing.',
  })
  async previewCampaignTemplate(
    @Arg('input', () => PreviewCampaignTemplateInput) input: PreviewCampaignTemplateInput,
    @Ctx() ctx: RequestContext,
  ) {
    try {
      return { preview: await previewTemplate(ctx, input.id, input.contactId), userErrors: [] };
    } catch (error) {
      const userErrors = asUserErrors(error);
      if (!userErrors) throw error;
      return { preview: null, userErrors };
    }
  }

  @Mutation(() => CampaignTemplatePayload, {
    description: 'Creates a template: compiled and its merge fields checked first (campaign:manage).',
  })
  createCampaignTemplate(@Arg('input', () => CreateCampaignTemplateInput) input: CreateCampaignTemplateInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ template: await createTemplate(tx, input) }));
  }

  @Mutation(() => CampaignTemplatePayload)
  updateCampaignTemplate(@Arg('input', () => UpdateCampaignTemplateInput) input: UpdateCampaignTemplateInput, @Ctx() ctx: RequestContext) {
    const { id, ...fields } = input;
    return runMutation(ctx, async (tx) => ({ template: await updateTemplate(tx, id, fields) }));
  }

  @Mutation(() => DeleteCampaignTemplatePayload, { description: 'Trashes a template no scheduled or sending campaign uses.' })
  deleteCampaignTemplate(@Arg('input', () => DeleteCampaignTemplateInput) input: DeleteCampaignTemplateInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({
      deletedId: toGlobalId(CAMPAIGN_TEMPLATE, await deleteTemplate(tx, input.id, input.version)),
    }));
  }

  @FieldResolver(() => ID)
  id(@Root() template: CampaignTemplate) {
    return toGlobalId(CAMPAIGN_TEMPLATE, template.id);
  }
}
