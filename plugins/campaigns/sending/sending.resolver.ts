import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { runMutation, type RequestContext } from '../../../src/sdk/index.js';
import { CampaignIdInput, CampaignPayload, RetryFailedCampaignSendsPayload, ScheduleCampaignInput } from '../campaigns/campaign.types.js';
import { cancelCampaign, retryFailedSends, scheduleCampaign, sendCampaignNow } from './sending.service.js';

@Resolver()
export class CampaignSendingResolver {
  @Mutation(() => CampaignPayload, { description: 'Schedules a draft campaign for a future time (campaign:send).' })
  scheduleCampaign(@Arg('input', () => ScheduleCampaignInput) input: ScheduleCampaignInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ campaign: await scheduleCampaign(tx, input.id, input.at, new Date()) }));
  }

  @Mutation(() => CampaignPayload, { description: 'Starts a draft or scheduled campaign now; a started one is CONFLICT (campaign:send).' })
  sendCampaignNow(@Arg('input', () => CampaignIdInput) input: CampaignIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ campaign: await sendCampaignNow(tx, input.id, new Date()) }));
  }

  @Mutation(() => CampaignPayload, { description: 'Cancels a draft, scheduled or sending campaign (campaign:send).' })
  cancelCampaign(@Arg('input', () => CampaignIdInput) input: CampaignIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ campaign: await cancelCampaign(tx, input.id, new Date()) }));
  }

  @Mutation(() => RetryFailedCampaignSendsPayload, { description: 'Queues the failed recipients again, only those (campaign:send).' })
  retryFailedCampaignSends(@Arg('input', () => CampaignIdInput) input: CampaignIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, (tx) => retryFailedSends(tx, input.id, new Date()));
  }
}
