/**
 * Dynamic campaign segments (`npm run bench -- --only segments`, or as part of the full run), on the seeded bench
 * workspace with the campaigns plugin enabled through `enableModule`, against the real API process:
 *
 * 1. A three-rule segment (lifecycle stage, company industry, a CALL in the last 30 days): `campaignSegmentPreview`
 *    over GraphQL and `countContacts` / `contactsMatching` called directly, beside hand-written SQL computing the same
 *    count and first page.
 * 2. 200 dynamic segments (fields, tags, company, a custom field; five match the updated contacts): `updateContact`
 *    over GraphQL, one at a time, and the time from the mutation's response to the contact's `segment.entered` events
 *    (`occurred_at`) written by the app's outbox worker.
 * 3. `updateContact` throughput, 8 in flight, with the plugin enabled (200 segments) and disabled in the workspace,
 *    alternating rounds, and the outbox drain time per event after each burst.
 *
 * Called from bench/run.ts with the API process already listening.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { countContacts, contactsMatching, validateContactRules } from '../src/core/contact-queries/index.js';
import { withWorkspace } from '../src/db/rls/tenant-context.js';
import type { Orm } from '../src/db/orm.js';
import { requestContextAs } from '../src/graphql/act-as.js';
import { toGlobalId } from '../src/graphql/global-id.js';
import { log, measure, ms, percentile, perSecond, summarize, type Stats } from './lib.js';

type Gql = <T = any>(query: string, variables?: Record<string, unknown>) => Promise<T>;

export interface SegmentBenchContext {
  gql: Gql;
  sql: pg.Client;
  /** The API role's ORM (row-level security), for the direct SDK calls. */
  orm: Orm;
  workspaceId: string;
  userId: string;
}

export interface SegmentOptions {
  iterations: number;
  warmup: number;
  /** Dynamic segments in the workspace for the change and throughput cases (default 200). */
  segments?: number;
  /** Updates of the latency case (default 150). */
  updates?: number;
  /** Updates per throughput round (default 400). */
  burst?: number;
}

export interface QueryCase {
  name: string;
  measured: Stats;
  baseline: Stats;
  ratio: number;
}

export interface LatencyResult {
  segments: number;
  updates: number;
  /** Segments each updated contact enters. */
  entersPerUpdate: number;
  /** Mutation response → the first of the contact's `segment.entered` events. */
  first: Stats;
  /** Mutation response → the last of them (all matching segments followed). */
  last: Stats;
  /** Mutation round trip itself. */
  mutation: Stats;
  target: { description: string; met: boolean };
}

export interface ThroughputRound {
  plugin: 'enabled' | 'disabled';
  updates: number;
  updatesPerSecond: number;
  /** Burst start → every outbox delivery of its events done, per event. */
  drainMsPerEvent: number;
  events: number;
}

export interface SegmentResult {
  contacts: number;
  matching: number;
  queries: QueryCase[];
  latency: LatencyResult | { error: string };
  throughput:
    | { rounds: ThroughputRound[]; enabled: number; disabled: number; ratio: number; drainEnabled: number; drainDisabled: number }
    | { error: string };
}

/** Leads and MQLs at software companies with a call logged in the last 30 days. */
const RULES = {
  all: [
    { field: 'lifecycleStage', op: 'in', value: ['LEAD', 'MARKETING_QUALIFIED'] },
    { field: 'company.industry', op: 'eq', value: 'Software' },
    { fact: 'activity.logged', params: { type: 'CALL', withinLastDays: 30 } },
  ],
};

const PREVIEW_COUNT = `query($r: JSON!) { campaignSegmentPreview(rules: $r) { count } }`;
const PREVIEW_PAGE = `query($r: JSON!) { campaignSegmentPreview(rules: $r) { contacts(first: 50) { nodes { id firstName lastName primaryEmail } } } }`;

const MATCH_SQL = `
from contact c
join company co on co.id = c.company_id and co.deleted_at is null
where c.workspace_id = $1 and c.deleted_at is null
  and c.lifecycle_stage in ('LEAD', 'MARKETING_QUALIFIED')
  and lower(co.industry) = 'software'
  and exists (select 1 from timeline_link l join activity a on a.id = l.entry_id and a.deleted_at is null
              where l.workspace_id = $1 and l.target_type = 'Contact' and l.target_id = c.id and l.entry_kind = 'activity'
                and l.entry_type = 'CALL' and l.occurred_at >= now() - interval '30 days' and l.occurred_at <= now())`;
const COUNT_SQL = `select count(*)::int as n ${MATCH_SQL}`;
const PAGE_SQL = `select c.id, c.first_name, c.last_name, c.primary_email ${MATCH_SQL} order by c.created_at desc, c.id desc limit 51`;

const UPDATE = `mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id version } userErrors { field message code } } }`;
const CREATE_SEGMENT = `mutation($i: CreateCampaignSegmentInput!) { createCampaignSegment(input: $i) { segment { id memberCount } userErrors { field message code } } }`;
/** The updated contacts get this job title: the matching segments look for it. */
const TARGET_TITLE = 'Segment target';
const MATCHING_SEGMENTS = 5;
const STAGES = ['LEAD', 'MARKETING_QUALIFIED', 'SALES_QUALIFIED', 'OPPORTUNITY', 'CUSTOMER'];

/** The i-th segment's rules: a mix over fields, company, tags and a custom field; the first five match the updates. */
function segmentRules(i: number): unknown {
  if (i < MATCHING_SEGMENTS)
    return {
      all: [
        { field: 'jobTitle', op: 'startsWith', value: TARGET_TITLE },
        [
          { not: { field: 'jobTitle', op: 'eq', value: `nobody ${i}` } },
          { not: { field: 'lastName', op: 'eq', value: `nobody ${i}` } },
          { not: { field: 'firstName', op: 'eq', value: `nobody ${i}` } },
          { field: 'createdAt', op: 'before', value: '2100-01-01T00:00:00Z' },
          { not: { field: 'tags', op: 'includes', value: `never-${i}` } },
        ][i]!,
      ],
    };
  switch (i % 5) {
    case 0:
      return {
        all: [
          { field: 'lifecycleStage', op: 'eq', value: STAGES[i % STAGES.length] },
          { field: 'jobTitle', op: 'contains', value: `title ${i}` },
        ],
      };
    case 1:
      return { all: [{ field: 'company.industry', op: 'eq', value: `Industry ${i}` }] };
    case 2:
      return {
        any: [
          { field: 'tags', op: 'includes', value: `tag-${i}` },
          { field: 'firstName', op: 'startsWith', value: `Zq${i}` },
        ],
      };
    case 3:
      return { all: [{ field: 'custom.tier', op: 'eq', value: `tier-${i}` }] };
    default:
      return {
        all: [{ field: 'company.employeeCount', op: 'gt', value: 1_000_000 + i }, { not: { field: 'lastName', op: 'isEmpty' } }],
      };
  }
}

/** The `n` of a one-row `select … as n`. */
async function scalar(sql: pg.Client, text: string, params: unknown[]): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(text, params);
  return Number(rows[0]!.n);
}

async function pair(
  name: string,
  measured: (i: number) => Promise<unknown>,
  baseline: (i: number) => Promise<unknown>,
  opts: { iterations: number; warmup: number },
): Promise<QueryCase> {
  log(`case: ${name}`);
  const m = await measure(measured, opts);
  const b = await measure(baseline, opts);
  return { name, measured: m, baseline: b, ratio: m.p50 / b.p50 };
}

async function queryCases(ctx: SegmentBenchContext, opts: SegmentOptions): Promise<{ matching: number; cases: QueryCase[] }> {
  const { gql, sql, orm, workspaceId: ws, userId } = ctx;
  const expected = await scalar(sql, COUNT_SQL, [ws]);
  const expectedPage = (await sql.query<{ id: string }>(PAGE_SQL, [ws])).rows.slice(0, 50).map((r) => toGlobalId('Contact', r.id));
  const preview = await gql(PREVIEW_COUNT, { r: RULES });
  if (preview.campaignSegmentPreview.count !== expected)
    throw new Error(`preview counts ${preview.campaignSegmentPreview.count}, the hand-written SQL ${expected}`);
  const page = await gql(PREVIEW_PAGE, { r: RULES });
  const ids = page.campaignSegmentPreview.contacts.nodes.map((n: { id: string }) => n.id);
  if (JSON.stringify(ids) !== JSON.stringify(expectedPage)) throw new Error('the preview’s first page differs from the hand-written SQL’s');
  const direct = <T>(work: (c: Awaited<ReturnType<typeof requestContextAs>>) => Promise<T>) =>
    withWorkspace(orm, ws, async (em) => work(await requestContextAs(em, ws, userId)));
  const directCount = await direct(async (c) => countContacts(c, await validateContactRules(c, RULES)));
  if (directCount !== expected) throw new Error(`countContacts counts ${directCount}, the hand-written SQL ${expected}`);

  const o = { iterations: opts.iterations, warmup: opts.warmup };
  const cases = [
    await pair(
      'campaignSegmentPreview(3 rules) { count }',
      () => gql(PREVIEW_COUNT, { r: RULES }),
      () => sql.query(COUNT_SQL, [ws]),
      o,
    ),
    await pair(
      'campaignSegmentPreview(3 rules) { contacts(first: 50) }',
      () => gql(PREVIEW_PAGE, { r: RULES }),
      () => sql.query(PAGE_SQL, [ws]),
      o,
    ),
    await pair(
      'validateContactRules + countContacts (direct, in a workspace transaction)',
      () => direct(async (c) => countContacts(c, await validateContactRules(c, RULES))),
      () => sql.query(COUNT_SQL, [ws]),
      o,
    ),
    await pair(
      'validateContactRules + contactsMatching(first: 50) (direct)',
      () => direct(async (c) => contactsMatching(c, await validateContactRules(c, RULES), { first: 50 })),
      () => sql.query(PAGE_SQL, [ws]),
      o,
    ),
  ];
  return { matching: expected, cases };
}

async function setModule(gql: Gql, enabled: boolean): Promise<void> {
  const op = enabled ? 'enableModule' : 'disableModule';
  const result = await gql(`mutation { ${op}(input: { id: "campaigns" }) { userErrors { field message code } } }`);
  if (result[op].userErrors.length) throw new Error(`${op}: ${JSON.stringify(result[op].userErrors)}`);
}

async function createSegments(ctx: SegmentBenchContext, count: number): Promise<void> {
  const created = await ctx.gql(
    `mutation { createCustomField(input: { objectType: "Contact", key: "tier", label: "Tier", type: TEXT }) { userErrors { field message code } } }`,
  );
  if (created.createCustomField.userErrors.length) throw new Error(JSON.stringify(created.createCustomField.userErrors));
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const result = await ctx.gql(CREATE_SEGMENT, { i: { name: `Bench segment ${i}`, kind: 'DYNAMIC', rules: segmentRules(i) } });
    if (result.createCampaignSegment.userErrors.length)
      throw new Error(`segment ${i}: ${JSON.stringify(result.createCampaignSegment.userErrors)}`);
  }
  log(`created ${count} dynamic segments in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Waits until every outbox delivery of the workspace is no longer pending; returns the newest delivered_at (ms). */
async function drained(sql: pg.Client, ws: string, timeoutMs = 300_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const {
      rows: [row],
    } = await sql.query<{ pending: number; last: Date | null }>(
      `select count(*) filter (where status = 'pending')::int as pending, max(delivered_at) as last from outbox_delivery where workspace_id = $1`,
      [ws],
    );
    if (row!.pending === 0) return row!.last?.getTime() ?? Date.now();
    if (Date.now() > deadline) throw new Error(`${row!.pending} outbox deliveries still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Contact id → its current version (updateContact checks it). */
type Versions = Map<string, number>;

async function updateContact(gql: Gql, versions: Versions, contactId: string, jobTitle: string): Promise<void> {
  const result = await gql(UPDATE, { i: { id: toGlobalId('Contact', contactId), version: versions.get(contactId), jobTitle } });
  if (result.updateContact.userErrors.length) throw new Error(JSON.stringify(result.updateContact.userErrors));
  versions.set(contactId, result.updateContact.contact.version);
}

async function latencyCase(ctx: SegmentBenchContext, versions: Versions, targets: string[], segments: number): Promise<LatencyResult> {
  const { gql, sql, workspaceId: ws } = ctx;
  log(`case: updateContact → segment.entered, ${targets.length} updates, ${segments} segments`);
  await drained(sql, ws);
  const first: number[] = [];
  const last: number[] = [];
  const mutation: number[] = [];
  for (const [i, contactId] of targets.entries()) {
    const sent = Date.now();
    await updateContact(gql, versions, contactId, `${TARGET_TITLE} ${i}`);
    const answered = Date.now();
    mutation.push(answered - sent);
    const deadline = answered + 60_000;
    for (;;) {
      const { rows } = await sql.query<{ at: Date }>(
        `select occurred_at as at from outbox_event where workspace_id = $1 and type = 'segment.entered' and payload->>'contactId' = $2 order by occurred_at`,
        [ws, contactId],
      );
      if (rows.length >= MATCHING_SEGMENTS) {
        first.push(rows[0]!.at.getTime() - answered);
        last.push(rows.at(-1)!.at.getTime() - answered);
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`contact ${contactId} entered ${rows.length} of ${MATCHING_SEGMENTS} segments within 60 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const lastStats = summarize(last, 1);
  return {
    segments,
    updates: targets.length,
    entersPerUpdate: MATCHING_SEGMENTS,
    first: summarize(first, 1),
    last: lastStats,
    mutation: summarize(mutation, 1),
    target: { description: 'p99 response → last segment.entered ≤ 2 s', met: lastStats.p99 <= 2000 },
  };
}

async function burst(
  ctx: SegmentBenchContext,
  versions: Versions,
  plugin: ThroughputRound['plugin'],
  contactIds: string[],
  round: number,
): Promise<ThroughputRound> {
  const { gql, sql, workspaceId: ws } = ctx;
  await drained(sql, ws);
  const before = await scalar(sql, `select count(*)::int as n from outbox_event where workspace_id = $1`, [ws]);
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    for (let i = next++; i < contactIds.length; i = next++) {
      await updateContact(gql, versions, contactIds[i]!, `Burst ${round} title ${i}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const writeMs = Date.now() - started;
  const last = await drained(sql, ws);
  const after = await scalar(sql, `select count(*)::int as n from outbox_event where workspace_id = $1`, [ws]);
  return {
    plugin,
    updates: contactIds.length,
    updatesPerSecond: (contactIds.length / writeMs) * 1000,
    drainMsPerEvent: (Math.max(last, started) - started) / Math.max(1, after - before),
    events: after - before,
  };
}

export async function runSegmentCases(ctx: SegmentBenchContext, opts: SegmentOptions): Promise<SegmentResult> {
  const { sql, workspaceId: ws } = ctx;
  const segments = opts.segments ?? 200;
  const updates = opts.updates ?? 150;
  const burstSize = opts.burst ?? 400;
  await setModule(ctx.gql, true);
  const contacts = await scalar(sql, `select count(*)::int as n from contact where workspace_id = $1 and deleted_at is null`, [ws]);
  const { matching, cases } = await queryCases(ctx, opts);

  const { rows: sample } = await sql.query<{ id: string; version: number }>(
    `select id, version from contact where workspace_id = $1 and deleted_at is null order by md5(id::text) limit $2`,
    [ws, updates + burstSize],
  );
  const ids = sample.map((r) => r.id);
  const versions: Versions = new Map(sample.map((r) => [r.id, r.version]));
  let latency: SegmentResult['latency'];
  let throughput: SegmentResult['throughput'];
  try {
    await createSegments(ctx, segments);
    latency = await latencyCase(ctx, versions, ids.slice(0, updates), segments);
  } catch (error) {
    latency = { error: (error as Error).message };
    log(`latency case failed: ${latency.error}`);
  }
  try {
    log(`case: updateContact throughput, 8 in flight, campaigns enabled (${segments} segments) / disabled`);
    const burstIds = ids.slice(updates);
    const rounds: ThroughputRound[] = [];
    for (let round = 0; round < 2; round++) {
      rounds.push(await burst(ctx, versions, 'enabled', burstIds, round * 2));
      await setModule(ctx.gql, false);
      rounds.push(await burst(ctx, versions, 'disabled', burstIds, round * 2 + 1));
      await setModule(ctx.gql, true);
    }
    const median = (plugin: ThroughputRound['plugin'], key: 'updatesPerSecond' | 'drainMsPerEvent') =>
      percentile(
        rounds
          .filter((r) => r.plugin === plugin)
          .map((r) => r[key])
          .sort((a, b) => a - b),
        50,
      );
    const enabled = median('enabled', 'updatesPerSecond');
    const disabled = median('disabled', 'updatesPerSecond');
    throughput = {
      rounds,
      enabled,
      disabled,
      ratio: disabled / enabled,
      drainEnabled: median('enabled', 'drainMsPerEvent'),
      drainDisabled: median('disabled', 'drainMsPerEvent'),
    };
  } catch (error) {
    throughput = { error: (error as Error).message };
    log(`throughput case failed: ${throughput.error}`);
  }
  return { contacts, matching, queries: cases, latency, throughput };
}

export function renderSegments(r: SegmentResult): string {
  const lines = [
    `Dynamic segments: ${r.contacts.toLocaleString('en-US')} contacts, the three-rule segment matches ${r.matching.toLocaleString('en-US')}`,
    '',
    '| case | p50 | p95 | throughput | baseline p50 | baseline p95 | ratio (p50) |',
    '|---|---|---|---|---|---|---|',
    ...r.queries.map(
      (c) =>
        `| ${c.name} | ${ms(c.measured.p50)} | ${ms(c.measured.p95)} | ${perSecond(c.measured.throughput)} | ${ms(c.baseline.p50)} | ${ms(c.baseline.p95)} | ${c.ratio.toFixed(2)}× |`,
    ),
    '',
    'Baselines: one hand-written SQL statement (join on company, exists on timeline_link) through the pg client. Target ≤ 1.5×.',
    '',
  ];
  if ('error' in r.latency) lines.push(`Change → segment.entered: failed (${r.latency.error})`);
  else {
    const l = r.latency;
    lines.push(
      `Change → segment.entered: ${l.updates} sequential updateContact calls, ${l.segments} dynamic segments, each update enters ${l.entersPerUpdate}; app outbox worker (OUTBOX_POLL_MS default 200)`,
      '',
      '| measure | p50 | p95 | p99 |',
      '|---|---|---|---|',
      `| updateContact round trip | ${ms(l.mutation.p50)} | ${ms(l.mutation.p95)} | ${ms(l.mutation.p99)} |`,
      `| response → first segment.entered | ${ms(l.first.p50)} | ${ms(l.first.p95)} | ${ms(l.first.p99)} |`,
      `| response → last segment.entered | ${ms(l.last.p50)} | ${ms(l.last.p95)} | ${ms(l.last.p99)} |`,
      '',
      `Target: ${l.target.description}: ${l.target.met ? 'met' : 'NOT met'}`,
    );
  }
  lines.push('');
  if ('error' in r.throughput) lines.push(`Write throughput: failed (${r.throughput.error})`);
  else {
    const t = r.throughput;
    lines.push(
      'Write throughput: updateContact, 8 in flight, alternating rounds on the same database',
      '',
      '| campaigns plugin | updates/s (median) | outbox drain per event (median) |',
      '|---|---|---|',
      `| enabled, ${r.latency && !('error' in r.latency) ? r.latency.segments : 200} dynamic segments | ${perSecond(t.enabled, 'updates/s')} | ${ms(t.drainEnabled)} |`,
      `| disabled in the workspace | ${perSecond(t.disabled, 'updates/s')} | ${ms(t.drainDisabled)} |`,
      '',
      `Cost: disabled/enabled throughput ${t.ratio.toFixed(2)}×; rounds: ${t.rounds.map((x) => `${x.plugin} ${perSecond(x.updatesPerSecond, 'u/s')} (${x.events} events)`).join(', ')}`,
    );
  }
  return lines.join('\n');
}
