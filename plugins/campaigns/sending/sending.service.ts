import { ErrorCode, InputRejected, enqueueJob, sql, type RequestContext } from '../../../src/sdk/index.js';
import { liveCampaign } from '../campaigns/campaign.service.js';
import { type Campaign, CampaignStatus } from '../campaigns/entities.js';
import { audienceSize, batchJob, startCampaign, startJob } from './engine.js';

const conflict = (campaign: Campaign, what: string) =>
  InputRejected.one('id', `the campaign is ${campaign.status}: it cannot be ${what}`, ErrorCode.CONFLICT);

async function expectAudience(ctx: RequestContext, campaign: Campaign): Promise<void> {
  if (!(await audienceSize(ctx.em, campaign.workspaceId, campaign.segmentIds)))
    throw InputRejected.one('segmentIds', 'the campaign’s segments have no members: nobody would receive it');
}

/** Schedules a draft for `at` (in the future): a delayed start job, one per campaign. */
export async function scheduleCampaign(ctx: RequestContext, globalId: string, at: Date, now: Date): Promise<Campaign> {
  const campaign = await liveCampaign(ctx, globalId, 'id', true);
  if (campaign.status !== CampaignStatus.DRAFT) throw conflict(campaign, 'scheduled');
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw InputRejected.one('at', 'must be a date and time');
  if (at.getTime() <= now.getTime()) throw InputRejected.one('at', 'must be in the future');
  await expectAudience(ctx, campaign);
  campaign.status = CampaignStatus.SCHEDULED;
  campaign.scheduledAt = at;
  await ctx.em.flush();
  await enqueueJob(ctx, startJob, { campaignId: campaign.id }, { startAfter: at, singletonKey: campaign.id });
  return campaign;
}

/** Starts a draft or scheduled campaign now: its recipients are materialised in this transaction. */
export async function sendCampaignNow(ctx: RequestContext, globalId: string, now: Date): Promise<Campaign> {
  const campaign = await liveCampaign(ctx, globalId, 'id', true);
  if (campaign.status !== CampaignStatus.DRAFT && campaign.status !== CampaignStatus.SCHEDULED) throw conflict(campaign, 'sent again');
  await expectAudience(ctx, campaign);
  await startCampaign(ctx, campaign, now);
  return campaign;
}

/**
 * Cancels a draft, scheduled or sending campaign: rows not yet handed off are skipped (`cancelled`); a batch already
 * being handed off in another transaction finishes.
 */
export async function cancelCampaign(ctx: RequestContext, globalId: string, now: Date): Promise<Campaign> {
  const campaign = await liveCampaign(ctx, globalId, 'id', true);
  if (![CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING].includes(campaign.status))
    throw conflict(campaign, 'cancelled');
  campaign.status = CampaignStatus.CANCELLED;
  campaign.finishedAt = now;
  await ctx.em.flush();
  const q = sql`update campaign_send set status = 'skipped', skip_reason = 'cancelled', claim_token = null, updated_at = ${now}
    where workspace_id = ${campaign.workspaceId} and campaign_id = ${campaign.id} and status = 'queued'`;
  await ctx.em.execute(q.text, q.params, 'run');
  return campaign;
}

/** Queues the failed recipients of a sent (or sending) campaign again, and only those. */
export async function retryFailedSends(
  ctx: RequestContext,
  globalId: string,
  now: Date,
): Promise<{ campaign: Campaign; requeued: number }> {
  const campaign = await liveCampaign(ctx, globalId, 'id', true);
  if (campaign.status !== CampaignStatus.SENT && campaign.status !== CampaignStatus.SENDING) throw conflict(campaign, 'retried');
  const q = sql`update campaign_send set status = 'queued', error = null, failed_at = null, message_id = null, sent_at = null,
      claimed_at = null, updated_at = ${now}
    where workspace_id = ${campaign.workspaceId} and campaign_id = ${campaign.id} and status = 'failed' returning id`;
  const requeued = (await ctx.em.execute(q.text, q.params)).length;
  if (!requeued) throw InputRejected.one('id', 'the campaign has no failed recipients');
  campaign.status = CampaignStatus.SENDING;
  campaign.finishedAt = null;
  await ctx.em.flush();
  await enqueueJob(ctx, batchJob, { campaignId: campaign.id }, { singletonKey: campaign.id });
  return { campaign, requeued };
}
