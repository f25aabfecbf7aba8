import {
  ErrorCode,
  InputRejected,
  Sql,
  currencyCode,
  expectGlobalId,
  scopeSql,
  sql,
  toGlobalId,
  User,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { DEAL_SCOPE, PIPELINE, PIPELINE_STAGE } from '../deals/deal-scope.js';
import type {
  DealForecast,
  DealForecastInput,
  DealForecastMonth,
  DealForecastOwner,
  DealForecastStage,
  DealForecastTotal,
  DealForecastWon,
} from './forecast.types.js';

const DAY_MS = 86_400_000;
/** The longest period a forecast covers (month buckets stay a bounded list). */
const MAX_DAYS = 3660;

/** The UTC calendar day of an instant, as YYYY-MM-DD, and its 00:00 UTC. */
function utcDay(instant: Date): { day: string; start: Date } {
  const start = new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
  return { day: start.toISOString().slice(0, 10), start };
}

/** bigint sums come back as text: whole minor units, exact as long as they are safe integers. */
function minorUnits(value: string | number | null): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new Error(`forecast amount ${value} exceeds the safe integer range`);
  return n;
}

interface Period {
  fromDay: string;
  toDay: string;
  /** [closedFrom, closedBefore): 00:00 UTC of the first day to 00:00 UTC after the last day. */
  closedFrom: Date;
  closedBefore: Date;
}

function periodOf(input: DealForecastInput): Period {
  if (!(input.from instanceof Date) || Number.isNaN(input.from.getTime()))
    throw InputRejected.one('from', 'is not a valid date', ErrorCode.BAD_USER_INPUT);
  if (!(input.to instanceof Date) || Number.isNaN(input.to.getTime()))
    throw InputRejected.one('to', 'is not a valid date', ErrorCode.BAD_USER_INPUT);
  const from = utcDay(input.from);
  const to = utcDay(input.to);
  if (to.start < from.start) throw InputRejected.one('to', 'must not be before from', ErrorCode.BAD_USER_INPUT);
  if ((to.start.getTime() - from.start.getTime()) / DAY_MS >= MAX_DAYS)
    throw InputRejected.one('to', `the period may span at most ${MAX_DAYS} days`, ErrorCode.BAD_USER_INPUT);
  return { fromDay: from.day, toDay: to.day, closedFrom: from.start, closedBefore: new Date(to.start.getTime() + DAY_MS) };
}

/** Conditions every forecast figure shares: workspace, live deals, the caller's read scope, the input's filters. */
function dealConditions(ctx: RequestContext, input: DealForecastInput): Sql[] {
  const conditions = [
    sql`d.workspace_id = ${ctx.principal.workspaceId}`,
    sql`d.deleted_at is null`,
    scopeSql(ctx, DEAL_SCOPE, DEAL_SCOPE.read, 'd'),
  ];
  if (input.pipelineId != null) conditions.push(sql`d.pipeline_id = ${expectGlobalId(input.pipelineId, PIPELINE, 'pipelineId')}`);
  if (input.ownerId != null) conditions.push(sql`d.owner_id = ${expectGlobalId(input.ownerId, 'User', 'ownerId')}`);
  if (input.currency != null) {
    const parsed = currencyCode.safeParse(input.currency);
    if (!parsed.success)
      throw InputRejected.one('currency', parsed.error.issues[0]?.message ?? 'is not a valid currency', ErrorCode.BAD_USER_INPUT);
    conditions.push(sql`d.currency = ${parsed.data}`);
  }
  return conditions;
}

interface PipelineRow {
  currency: string;
  month: string | null;
  owner_id: string | null;
  pipeline_id: string | null;
  stage_id: string | null;
  g_month: number;
  g_owner: number;
  g_stage: number;
  deal_count: number;
  unweighted: string;
  weighted: string;
  pipeline_name: string | null;
  stage_name: string | null;
  probability: number | null;
}

/**
 * Open pipeline in one statement: the open deals with an amount and an expected close date in the period, summed per
 * currency alone (totals), and per currency with the month of expected close, with the owner, with the stage (grouping
 * sets). Weighted = round(Σ amount × probability / 100) per bucket, half away from zero. The deals are first summed per
 * (currency, month, owner, stage) — a few hundred rows — so the grouping sets hash those instead of every deal four times.
 */
export function openPipelineSql(ctx: RequestContext, input: DealForecastInput, period: Period): Sql {
  const where = Sql.and([
    ...dealConditions(ctx, input),
    sql`d.status = 'open'`,
    sql`d.amount is not null`,
    sql`d.expected_close_date between ${period.fromDay}::date and ${period.toDay}::date`,
  ]);
  return sql`with fine as (
      select d.currency, date_trunc('month', d.expected_close_date::timestamp) as month, d.owner_id, d.pipeline_id, d.stage_id,
        count(*) as deal_count, sum(d.amount) as unweighted, sum(d.amount * s.probability) as weighted_percent
      from deal d join pipeline_stage s on s.id = d.stage_id
      where ${where}
      group by 1, 2, 3, 4, 5
    ), bucket as (
      select f.currency, to_char(f.month, 'YYYY-MM') as month, f.owner_id, f.pipeline_id, f.stage_id,
        grouping(f.month) as g_month, grouping(f.owner_id) as g_owner, grouping(f.stage_id) as g_stage,
        sum(f.deal_count)::int as deal_count, sum(f.unweighted)::text as unweighted, round(sum(f.weighted_percent) / 100.0)::text as weighted
      from fine f
      group by grouping sets ((f.currency), (f.currency, f.month), (f.currency, f.owner_id), (f.currency, f.pipeline_id, f.stage_id))
    )
    select b.*, p.name as pipeline_name, s.name as stage_name, s.probability
    from bucket b
    left join pipeline p on p.id = b.pipeline_id
    left join pipeline_stage s on s.id = b.stage_id
    order by b.g_month, b.g_owner, b.g_stage, b.month, b.owner_id nulls last, p.position, lower(p.name), s.position, b.currency`;
}

interface ClosedRow {
  currency: string | null;
  g_all: number;
  won: number;
  lost: number;
  won_amount: string | null;
  cycle_days: number | null;
}

/**
 * Deals closed in the period (closed_at in [00:00 UTC of `from`, 00:00 UTC after `to`)), in one statement: per currency
 * (won count and amount: won to date) and over all of them (win rate, mean sales cycle of the won ones).
 */
export function closedInPeriodSql(ctx: RequestContext, input: DealForecastInput, period: Period): Sql {
  const where = Sql.and([
    ...dealConditions(ctx, input),
    sql`d.status in ('won', 'lost')`,
    sql`d.closed_at >= ${period.closedFrom}`,
    sql`d.closed_at < ${period.closedBefore}`,
  ]);
  return sql`select d.currency, grouping(d.currency) as g_all,
      count(*) filter (where d.status = 'won')::int as won,
      count(*) filter (where d.status = 'lost')::int as lost,
      (sum(d.amount) filter (where d.status = 'won'))::text as won_amount,
      (avg(extract(epoch from d.closed_at - d.created_at)) filter (where d.status = 'won') / 86400)::float8 as cycle_days
    from deal d
    where ${where}
    group by grouping sets ((), (d.currency))
    order by g_all desc, d.currency`;
}

const amounts = (row: PipelineRow) => {
  const currency = row.currency.trim();
  return {
    dealCount: Number(row.deal_count),
    unweighted: { amount: minorUnits(row.unweighted), currency },
    weighted: { amount: minorUnits(row.weighted), currency },
  };
};

/**
 * Owners' buckets by the owner's name (case-insensitive; no owner last), each owner's currencies in the SQL's order.
 * The names come from the kernel's user loader (one statement): plugins do not join kernel tables.
 */
async function sortByOwnerName(ctx: RequestContext, byOwner: DealForecastOwner[]): Promise<void> {
  const ids = [...new Set(byOwner.flatMap((b) => (b.ownerId ? [b.ownerId] : [])))];
  const users = await ctx.loaders.byId(User).loadMany(ids);
  const names = new Map(ids.map((id, i) => [id, users[i] && !(users[i] instanceof Error) ? (users[i] as User).name.toLowerCase() : null]));
  const key = (b: DealForecastOwner) => (b.ownerId ? (names.get(b.ownerId) ?? null) : null);
  byOwner.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x !== y) return x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
    if (a.ownerId === b.ownerId) return 0;
    return a.ownerId === null ? 1 : b.ownerId === null ? -1 : a.ownerId < b.ownerId ? -1 : 1;
  });
}

export async function dealForecast(ctx: RequestContext, input: DealForecastInput): Promise<DealForecast> {
  const period = periodOf(input);
  const pipelineQuery = openPipelineSql(ctx, input, period);
  const closedQuery = closedInPeriodSql(ctx, input, period);
  const pipelineRows = await ctx.em.execute<PipelineRow[]>(pipelineQuery.text, pipelineQuery.params);
  const closedRows = await ctx.em.execute<ClosedRow[]>(closedQuery.text, closedQuery.params);

  const totals: DealForecastTotal[] = [];
  const byMonth: DealForecastMonth[] = [];
  const byOwner: DealForecastOwner[] = [];
  const byStage: DealForecastStage[] = [];
  for (const row of pipelineRows) {
    if (Number(row.g_month) === 0) byMonth.push({ month: row.month!, ...amounts(row) });
    else if (Number(row.g_owner) === 0) byOwner.push({ ownerId: row.owner_id, ...amounts(row) });
    else if (Number(row.g_stage) === 0) {
      byStage.push({
        pipelineId: toGlobalId(PIPELINE, row.pipeline_id!),
        pipelineName: row.pipeline_name ?? '',
        stageId: toGlobalId(PIPELINE_STAGE, row.stage_id!),
        stageName: row.stage_name ?? '',
        probability: Number(row.probability ?? 0),
        ...amounts(row),
      });
    } else totals.push(amounts(row));
  }

  const overall = closedRows.find((r) => Number(r.g_all) === 1);
  const wonCount = Number(overall?.won ?? 0);
  const lostCount = Number(overall?.lost ?? 0);
  await sortByOwnerName(ctx, byOwner);
  const wonToDate: DealForecastWon[] = closedRows
    .filter((r) => Number(r.g_all) === 0 && r.currency != null && Number(r.won) > 0)
    .map((r) => ({ dealCount: Number(r.won), amount: { amount: minorUnits(r.won_amount), currency: r.currency!.trim() } }));

  return {
    from: period.fromDay,
    to: period.toDay,
    totals,
    byMonth,
    byOwner,
    byStage,
    wonToDate,
    wonCount,
    lostCount,
    winRate: wonCount + lostCount > 0 ? wonCount / (wonCount + lostCount) : null,
    averageSalesCycleDays: overall?.cycle_days == null ? null : Number(overall.cycle_days),
  };
}
