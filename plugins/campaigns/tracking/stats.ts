import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { sql, type RequestContext } from '../../../src/sdk/index.js';
import { CampaignNode, CampaignStats } from '../campaigns/campaign.types.js';
import type { Campaign } from '../campaigns/entities.js';

const n = (v: unknown) => Number(v ?? 0);

/** A campaign's statistics: four aggregate statements, nothing loaded row by row. */
export async function campaignStats(ctx: RequestContext, campaignId: string): Promise<CampaignStats> {
  const ws = ctx.principal.workspaceId;
  const sends = sql`select count(*) as recipients,
      count(*) filter (where message_id is not null) as sent,
      count(*) filter (where status = 'skipped') as skipped,
      count(*) filter (where status = 'delivered') as delivered,
      count(*) filter (where status = 'failed') as failed,
      count(*) filter (where status in ('queued', 'claimed')) as queued
    from campaign_send where workspace_id = ${ws} and campaign_id = ${campaignId}`;
  const reasons = sql`select skip_reason as reason, count(*) as count from campaign_send
    where workspace_id = ${ws} and campaign_id = ${campaignId} and status = 'skipped' group by skip_reason order by skip_reason`;
  const engagement = sql`select
      count(*) filter (where kind = 'open' and not machine) as total_opens,
      count(distinct send_id) filter (where kind = 'open' and not machine) as unique_opens,
      count(*) filter (where kind = 'open' and machine) as machine_opens,
      count(*) filter (where kind = 'click' and not machine) as total_clicks,
      count(distinct send_id) filter (where kind = 'click' and not machine) as unique_clicks,
      (select count(*) from campaign_suppression u where u.workspace_id = ${ws} and u.campaign_id = ${campaignId} and u.kind = 'unsubscribed') as unsubscribes,
      (select count(*) from campaign_suppression b where b.workspace_id = ${ws} and b.campaign_id = ${campaignId} and b.kind = 'bounced') as bounces
    from campaign_engagement where workspace_id = ${ws} and campaign_id = ${campaignId}`;
  const links = sql`select l.link_index, l.url,
      count(e.id) filter (where not e.machine) as clicks, count(distinct e.send_id) filter (where not e.machine) as unique_clicks
    from campaign_link l left join campaign_engagement e
      on e.campaign_id = l.campaign_id and e.kind = 'click' and e.link_index = l.link_index and e.workspace_id = l.workspace_id
    where l.workspace_id = ${ws} and l.campaign_id = ${campaignId} group by l.link_index, l.url order by l.link_index`;
  const [s] = await ctx.em.execute(sends.text, sends.params);
  const byReason = await ctx.em.execute(reasons.text, reasons.params);
  const [e] = await ctx.em.execute(engagement.text, engagement.params);
  const perLink = await ctx.em.execute(links.text, links.params);
  const uniqueOpens = n(e?.unique_opens);
  return {
    recipients: n(s?.recipients),
    sent: n(s?.sent),
    skipped: n(s?.skipped),
    skippedByReason: byReason.map((r) => ({ reason: String(r.reason), count: n(r.count) })),
    delivered: n(s?.delivered),
    failed: n(s?.failed),
    queued: n(s?.queued),
    uniqueOpens,
    totalOpens: n(e?.total_opens),
    machineOpens: n(e?.machine_opens),
    uniqueClicks: n(e?.unique_clicks),
    totalClicks: n(e?.total_clicks),
    clickToOpenRate: uniqueOpens ? n(e?.unique_clicks) / uniqueOpens : null,
    unsubscribes: n(e?.unsubscribes),
    bounces: n(e?.bounces),
    links: perLink.map((l) => ({ index: n(l.link_index), url: String(l.url), clicks: n(l.clicks), uniqueClicks: n(l.unique_clicks) })),
  };
}

@Resolver(() => CampaignNode)
export class CampaignStatsResolver {
  @FieldResolver(() => CampaignStats)
  stats(@Root() campaign: Campaign, @Ctx() ctx: RequestContext) {
    return campaignStats(ctx, campaign.id);
  }
}
