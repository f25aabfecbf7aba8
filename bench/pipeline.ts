/**
 * The pipeline plugin's benchmark cases: seeds deals into the bench workspace with set-based SQL (after the API
 * process applied the plugin's migrations), then times `deals(first: 50)` with its relations and `dealForecast`
 * beside hand-written SQL fetching the same data. Called from bench/run.ts.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { log } from './lib.js';

export interface PipelineSeed {
  deals: number;
  dealContacts: number;
  seconds: number;
}

const STAGES = {
  Sales: [
    ['Lead', 10, 'open', 14],
    ['Qualified', 25, 'open', 14],
    ['Proposal', 50, 'open', 21],
    ['Negotiation', 75, 'open', 30],
    ['Won', 100, 'won', null],
    ['Lost', 0, 'lost', null],
  ],
  Renewals: [
    ['Review', 40, 'open', 30],
    ['Commit', 80, 'open', 30],
    ['Renewed', 100, 'won', null],
    ['Churned', 0, 'lost', null],
  ],
} as const;

/**
 * `deals` deals over two pipelines, owned by the seeded members, on the seeded companies, one or two contacts each:
 * 70 % open (expected close spread over a year around today), 20 % won, 10 % lost (closed 1–120 days after
 * creation); amounts 1,000–1,000,000 minor units, a quarter in EUR, the rest in USD. Deterministic ids.
 */
export async function seedPipelineDeals(client: pg.Client, workspaceId: string, deals: number): Promise<PipelineSeed> {
  const started = Date.now();
  const open: Record<string, string[]> = {};
  const closedStage: Record<string, { won: string; lost: string }> = {};
  const pipelineIds: Record<string, string> = {};
  for (const [position, [name, stages]] of Object.entries(STAGES).entries()) {
    const pipelineId = randomUUID();
    pipelineIds[name] = pipelineId;
    await client.query(
      `insert into pipeline (id, workspace_id, created_at, updated_at, name, position, is_default) values ($1, $2, now(), now(), $3, $4, $5)`,
      [pipelineId, workspaceId, name, position, position === 0],
    );
    open[name] = [];
    closedStage[name] = { won: '', lost: '' };
    for (const [i, [stage, probability, kind, rottingDays]] of stages.entries()) {
      const id = randomUUID();
      await client.query(
        `insert into pipeline_stage (id, workspace_id, created_at, updated_at, pipeline_id, name, position, probability, kind, rotting_days)
         values ($1, $2, now(), now(), $3, $4, $5, $6, $7, $8)`,
        [id, workspaceId, pipelineId, stage, i, probability, kind, rottingDays],
      );
      if (kind === 'open') open[name]!.push(id);
      else closedStage[name]![kind] = id;
    }
  }

  await client.query(
    `with members as (select array_agg(user_id order by user_id) as ids from membership where workspace_id = $1),
     companies as (select array_agg(id order by id) as ids from company where workspace_id = $1 and deleted_at is null),
     plan as (
       select g, g % 5 = 0 as renewal, g % 10 as outcome,
         now() - make_interval(days => (g * 13) % 400 + 1, secs => g % 86400) as created_at
       from generate_series(1, $2::int) g
     ),
     shaped as (
       select p.*,
         case when p.renewal then $3::uuid else $4::uuid end as pipeline_id,
         case
           when p.outcome < 7 then (case when p.renewal then $5::uuid[] else $6::uuid[] end)[1 + (p.g / 10) % (case when p.renewal then cardinality($5::uuid[]) else cardinality($6::uuid[]) end)]
           when p.outcome < 9 then case when p.renewal then $7::uuid else $8::uuid end
           else case when p.renewal then $9::uuid else $10::uuid end
         end as stage_id,
         case when p.outcome < 7 then 'open' when p.outcome < 9 then 'won' else 'lost' end as status,
         case when p.outcome < 7 then null else least(now(), p.created_at + make_interval(days => p.g % 120 + 1)) end as closed_at
       from plan p
     )
     insert into deal (id, workspace_id, created_at, updated_at, version, name, amount, currency, expected_close_date, owner_id, company_id,
       pipeline_id, stage_id, status, stage_entered_at, closed_at, source, priority, lost_reason)
     select md5('bench-deal-' || s.g)::uuid, $1, s.created_at, s.created_at, 1, 'Deal ' || s.g,
       ((s.g * 7919) % 1000 + 1) * 1000, case when s.g % 4 = 0 then 'EUR' else 'USD' end,
       current_date + ((s.g * 37) % 365 - 180),
       m.ids[1 + s.g % cardinality(m.ids)], c.ids[1 + (s.g * 31) % cardinality(c.ids)],
       s.pipeline_id, s.stage_id, s.status, coalesce(s.closed_at, s.created_at + make_interval(days => s.g % 20)), s.closed_at,
       (array['Website', 'Referral', 'Outbound', 'Partner'])[1 + s.g % 4], (array['low', 'medium', 'high', 'urgent'])[1 + s.g % 4],
       case when s.status = 'lost' then 'Price' end
     from shaped s cross join members m cross join companies c`,
    [
      workspaceId,
      deals,
      pipelineIds.Renewals,
      pipelineIds.Sales,
      open.Renewals,
      open.Sales,
      closedStage.Renewals!.won,
      closedStage.Sales!.won,
      closedStage.Renewals!.lost,
      closedStage.Sales!.lost,
    ],
  );
  const contacts = await client.query(
    `with contacts as (select array_agg(id order by id) as ids from contact where workspace_id = $1 and deleted_at is null)
     insert into deal_contact (workspace_id, deal_id, contact_id, role, is_primary, position)
     select $1, md5('bench-deal-' || g)::uuid, c.ids[1 + (g * 17 + k) % cardinality(c.ids)], case k when 0 then 'Decision maker' else 'Champion' end, k = 0, k
     from generate_series(1, $2::int) g cross join contacts c cross join generate_series(0, 1) k
     where k = 0 or (g % 2 = 0 and cardinality(c.ids) > 1)`,
    [workspaceId, deals],
  );
  await client.query(
    `insert into deal_stage_history (id, workspace_id, created_at, updated_at, deal_id, pipeline_id, stage_id, entered_at, left_at, entered_by_id)
     select gen_random_uuid(), workspace_id, stage_entered_at, stage_entered_at, id, pipeline_id, stage_id, stage_entered_at, null, owner_id
     from deal where workspace_id = $1`,
    [workspaceId],
  );
  await client.query('analyze pipeline, pipeline_stage, deal, deal_contact, deal_stage_history');
  return { deals, dealContacts: contacts.rowCount ?? 0, seconds: (Date.now() - started) / 1000 };
}

export const DEALS_PAGE = `query { deals(first: 50) { edges { node {
  name amount { amount currency } company { name } owner { name } contacts { role contact { firstName } }
} } } }`;

/** The same page by hand: newest first (the list's default order), company, owner and contacts in one statement. */
export const DEALS_PAGE_SQL = `
select d.id, d.name, d.amount, d.currency, co.name as company_name, u.name as owner_name, dc.items as contacts
from deal d
left join company co on co.id = d.company_id
left join app_user u on u.id = d.owner_id
left join lateral (
  select json_agg(json_build_object('role', x.role, 'firstName', c.first_name) order by x.is_primary desc, x.position, x.contact_id) as items
  from deal_contact x join contact c on c.id = x.contact_id and c.deleted_at is null
  where x.deal_id = d.id
) dc on true
where d.workspace_id = $1 and d.deleted_at is null
order by d.created_at desc, d.id desc
limit 50`;

export const FORECAST = `query($i: DealForecastInput!) { dealForecast(input: $i) {
  totals { dealCount unweighted { amount currency } weighted { amount currency } }
  byMonth { month dealCount unweighted { amount currency } weighted { amount currency } }
  byOwner { owner { name } dealCount unweighted { amount currency } weighted { amount currency } }
  byStage { pipelineName stageName probability dealCount unweighted { amount currency } weighted { amount currency } }
  wonToDate { dealCount amount { amount currency } }
  wonCount lostCount winRate averageSalesCycleDays
} }`;

/** The same figures by hand ($1 workspace, $2/$3 first and last day, $4/$5 closed_at range). */
export const FORECAST_OPEN_SQL = `
with fine as (
  select d.currency, date_trunc('month', d.expected_close_date::timestamp) as month, d.owner_id, d.pipeline_id, d.stage_id,
    count(*) as deals, sum(d.amount) as unweighted, sum(d.amount * st.probability) as weighted_percent
  from deal d join pipeline_stage st on st.id = d.stage_id
  where d.workspace_id = $1 and d.deleted_at is null and d.status = 'open' and d.amount is not null
    and d.expected_close_date between $2::date and $3::date
  group by 1, 2, 3, 4, 5
)
select b.*, p.name as pipeline_name, s.name as stage_name, s.probability, u.name as owner_name
from (
  select f.currency, to_char(f.month, 'YYYY-MM') as month, f.owner_id, f.pipeline_id, f.stage_id,
    sum(f.deals) as deals, sum(f.unweighted) as unweighted, round(sum(f.weighted_percent) / 100.0) as weighted
  from fine f
  group by grouping sets ((f.currency), (f.currency, f.month), (f.currency, f.owner_id), (f.currency, f.pipeline_id, f.stage_id))
) b
left join pipeline p on p.id = b.pipeline_id
left join pipeline_stage s on s.id = b.stage_id
left join app_user u on u.id = b.owner_id`;

export const FORECAST_CLOSED_SQL = `
select d.currency, count(*) filter (where d.status = 'won') as won, count(*) filter (where d.status = 'lost') as lost,
  sum(d.amount) filter (where d.status = 'won') as won_amount,
  avg(extract(epoch from d.closed_at - d.created_at)) filter (where d.status = 'won') / 86400 as cycle_days
from deal d
where d.workspace_id = $1 and d.deleted_at is null and d.status in ('won', 'lost') and d.closed_at >= $2 and d.closed_at < $3
group by grouping sets ((), (d.currency))`;

type RunCase = (
  name: string,
  graphqlOp: (i: number) => Promise<unknown>,
  sqlOp: (i: number) => Promise<unknown>,
  target?: (c: { graphql?: { p50: number }; ratio?: number }) => { description: string; met: boolean } | undefined,
) => Promise<void>;

export async function runPipelineCases(options: {
  runCase: RunCase;
  gql: <T = any>(query: string, variables?: Record<string, unknown>) => Promise<T>;
  sql: pg.Client;
  workspaceId: string;
  deals: number;
}): Promise<void> {
  const { runCase, gql, sql, workspaceId } = options;
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const [fromDay, toDay] = [day(-90), day(90)];
  const closedFrom = new Date(`${fromDay}T00:00:00Z`);
  const closedBefore = new Date(new Date(`${toDay}T00:00:00Z`).getTime() + 86_400_000);
  log(`pipeline cases: ${options.deals.toLocaleString('en-US')} deals; forecast ${fromDay} … ${toDay}`);

  await runCase(
    'deals(first: 50) + company, owner, contacts',
    async () => {
      const data = await gql<{ deals: { edges: unknown[] } }>(DEALS_PAGE);
      if (data.deals.edges.length !== Math.min(50, options.deals)) throw new Error(`expected 50 deals, got ${data.deals.edges.length}`);
    },
    () => sql.query(DEALS_PAGE_SQL, [workspaceId]),
    (c) => (c.ratio == null ? undefined : { description: 'deals(first: 50) p50 ≤ 2× its SQL baseline', met: c.ratio <= 2 }),
  );
  await runCase(
    `dealForecast(181 days) over ${options.deals.toLocaleString('en-US')} deals`,
    async () => {
      const data = await gql<{ dealForecast: { totals: unknown[] } }>(FORECAST, {
        i: { from: `${fromDay}T00:00:00Z`, to: `${toDay}T00:00:00Z` },
      });
      if (!data.dealForecast.totals.length) throw new Error('the forecast found no open deals');
    },
    async () => {
      await sql.query(FORECAST_OPEN_SQL, [workspaceId, fromDay, toDay]);
      await sql.query(FORECAST_CLOSED_SQL, [workspaceId, closedFrom, closedBefore]);
    },
    (c) => (c.ratio == null ? undefined : { description: 'dealForecast p50 ≤ 1.3× its SQL baseline', met: c.ratio <= 1.3 }),
  );
}
