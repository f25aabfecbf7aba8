import {
  actAs,
  companies,
  contacts,
  SortDirection,
  toGlobalId,
  workspaceMemberIds,
  type ConnectionArgs,
  type PluginContext,
  type RequestContext,
} from '../../src/sdk/index.js';
import { DealPriority, PipelineStage } from './entities.js';
import { createPipeline } from './pipelines/pipeline.service.js';
import { createDeal, markDealLost, markDealWon, moveDealToStage } from './deals/deal.service.js';
import type { Deal, Pipeline } from './entities.js';

const DAY = 86_400_000;

const SALES_STAGES = [
  { name: 'Lead', probability: 10, kind: 'open', rottingDays: 14 },
  { name: 'Qualified', probability: 25, kind: 'open', rottingDays: 14 },
  { name: 'Proposal', probability: 50, kind: 'open', rottingDays: 10 },
  { name: 'Negotiation', probability: 75, kind: 'open', rottingDays: 7 },
  { name: 'Won', probability: 100, kind: 'won', rottingDays: null },
  { name: 'Lost', probability: 0, kind: 'lost', rottingDays: null },
];
const RENEWAL_STAGES = [
  { name: 'Upcoming', probability: 60, kind: 'open', rottingDays: 30 },
  { name: 'In talks', probability: 80, kind: 'open', rottingDays: 14 },
  { name: 'Renewed', probability: 100, kind: 'won', rottingDays: null },
  { name: 'Churned', probability: 0, kind: 'lost', rottingDays: null },
];

const PRODUCTS = ['Platform licence', 'Onboarding package', 'Support plan', 'Analytics add-on', 'Team expansion', 'Pilot project'];
const SOURCES = ['Website', 'Referral', 'Event', 'Outbound', 'Partner'];
const LOST_REASONS = ['Price', 'Chose a competitor', 'No budget', 'Timing', 'No decision'];
const CURRENCIES = ['EUR', 'EUR', 'USD', 'GBP'];

/** A small deterministic generator: the same demo workspace every time. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** The ids of the first `limit` live records of a kernel record type, oldest first (through its list API, in pages). */
async function ids(ctx: RequestContext, type: typeof contacts | typeof companies, limit: number): Promise<string[]> {
  const found: string[] = [];
  let after: string | undefined;
  while (found.length < limit) {
    const args = { first: Math.min(200, limit - found.length), after } as ConnectionArgs;
    const page = await (type as typeof contacts).list(ctx, args, null, [{ field: 'createdAt', direction: SortDirection.ASC }] as never);
    found.push(...page.nodes.map((n) => n.id));
    if (!page.pageInfo.hasNextPage || !page.nodes.length) break;
    after = page.cursors[page.cursors.length - 1];
  }
  return found;
}

/**
 * The demo workspace's pipelines (Sales, Renewals) and ~150 deals over its members, companies and contacts, moved
 * through their stages (so each has stage history), some won, some lost. Runs through the plugin's own services:
 * the same validation, events and timeline entries as the API.
 */
export async function seedPipelineDemo(context: PluginContext, count = 150): Promise<void> {
  await actAs(context, null, async (ctx) => {
    const rand = random(42);
    const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)]!;
    const sales: Pipeline = await createPipeline(ctx, { name: 'Sales', isDefault: true, stages: SALES_STAGES });
    const renewals: Pipeline = await createPipeline(ctx, { name: 'Renewals', stages: RENEWAL_STAGES });
    const stagesOf = (p: Pipeline) => ctx.em.find(PipelineStage, { pipelineId: p.id }, { orderBy: { position: 'asc' } });
    const pipelines = [
      { pipeline: sales, stages: (await stagesOf(sales)).filter((s) => s.kind === 'open') },
      { pipeline: renewals, stages: (await stagesOf(renewals)).filter((s) => s.kind === 'open') },
    ];
    const members = await workspaceMemberIds(ctx, 20);
    const companyIds = await ids(ctx, companies, 200);
    const contactIds = await ids(ctx, contacts, 400);
    for (let i = 0; i < count; i++) {
      const { pipeline, stages } = i % 5 === 4 ? pipelines[1]! : pipelines[0]!;
      const dealContacts = contactIds.length ? [0, 1].slice(0, 1 + Math.floor(rand() * 2)).map(() => pick(contactIds)) : [];
      const currency = pick(CURRENCIES);
      let deal: Deal = await createDeal(ctx, {
        name: `${pick(PRODUCTS)} #${i + 1}`,
        amount: { amount: Math.round(1_000 + rand() * 99_000) * 100, currency },
        expectedCloseDate: new Date(Date.now() + Math.round((rand() * 120 - 20) * DAY)).toISOString().slice(0, 10),
        ownerId: members.length ? toGlobalId('User', pick(members)) : undefined,
        companyId: companyIds.length ? toGlobalId('Company', pick(companyIds)) : null,
        contacts: [...new Set(dealContacts)].map((id, n) => ({
          contactId: toGlobalId('Contact', id),
          role: n === 0 ? 'Decision maker' : 'Champion',
          isPrimary: n === 0,
        })),
        pipelineId: toGlobalId('Pipeline', pipeline.id),
        source: pick(SOURCES),
        priority: pick(Object.values(DealPriority)),
      });
      // walk it forward a few stages, then close some of them
      const steps = Math.floor(rand() * stages.length);
      for (let s = 1; s <= steps; s++) {
        deal = await moveDealToStage(ctx, {
          id: toGlobalId('Deal', deal.id),
          version: deal.version,
          stageId: toGlobalId('PipelineStage', stages[s]!.id),
        });
      }
      const outcome = rand();
      if (outcome < 0.2) deal = await markDealWon(ctx, { id: toGlobalId('Deal', deal.id), version: deal.version });
      else if (outcome < 0.32)
        await markDealLost(ctx, { id: toGlobalId('Deal', deal.id), version: deal.version, reason: pick(LOST_REASONS) });
    }
    // spread the history over the last months: each stay lasts 3–14 days, the last one began 0–59 days ago, so time in
    // stage, sales cycles, forecasts and rotting have something to show
    const workspaceId = ctx.principal.workspaceId;
    await ctx.em.execute(
      `with stays as (
         select h.id, h.deal_id, 3 + abs(hashtext(h.id::text)) % 12 as len, abs(hashtext(h.deal_id::text)) % 60 as back,
           row_number() over (partition by h.deal_id order by h.entered_at, h.id) as k
         from deal_stage_history h where h.workspace_id = ?
       ), placed as (
         -- days ago each stay ended: the stays after it, back to the last one (which is still running, begun back days ago)
         select id, len, back, sum(len) over (partition by deal_id) - sum(len) over (partition by deal_id order by k)
           - first_value(len) over (partition by deal_id order by k desc) + back as ended_days_ago
         from stays
       )
       update deal_stage_history h
       set entered_at = now() - make_interval(days => (p.ended_days_ago + p.len)::int),
           left_at = case when h.left_at is null then null else now() - make_interval(days => p.ended_days_ago::int) end
       from placed p where p.id = h.id and h.workspace_id = ?`,
      [workspaceId, workspaceId],
    );
    await ctx.em.execute(
      `update deal d set stage_entered_at = h.entered_at, closed_at = case when d.closed_at is null then null else h.entered_at end
       from deal_stage_history h where h.deal_id = d.id and h.left_at is null and d.workspace_id = ?`,
      [workspaceId],
    );
    // a deal was created when it entered its first stage (sales cycles and forecasts read created_at)
    await ctx.em.execute(
      `update deal d set created_at = f.first_entered from (select deal_id, min(entered_at) as first_entered from deal_stage_history where workspace_id = ? group by deal_id) f
       where f.deal_id = d.id and d.workspace_id = ?`,
      [workspaceId, workspaceId],
    );
  });
}
