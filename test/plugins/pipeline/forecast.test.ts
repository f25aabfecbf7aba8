import { randomUUID } from 'node:crypto';
import { toGlobalId } from '../../../src/sdk/index.js';
import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import pipeline from '../../../plugins/pipeline/plugin.js';

/**
 * dealForecast against a fixed dataset written with SQL: every figure below was computed by hand (see the comments),
 * not with the formula under test. PGlite in memory, or PostgreSQL with TEST_DATABASE_URL.
 */

const FORECAST = `query($i: DealForecastInput!) { dealForecast(input: $i) {
  from to
  totals { dealCount unweighted { amount currency } weighted { amount currency } }
  byMonth { month dealCount unweighted { amount currency } weighted { amount currency } }
  byOwner { owner { id name } dealCount unweighted { amount currency } weighted { amount currency } }
  byStage { pipelineId pipelineName stageId stageName probability dealCount unweighted { amount currency } weighted { amount currency } }
  wonToDate { dealCount amount { amount currency } }
  wonCount lostCount winRate averageSalesCycleDays
} }`;

const Q1 = { from: '2026-01-01T00:00:00.000Z', to: '2026-03-31T00:00:00.000Z' };

const money = (amount: number, currency: string) => ({ amount, currency });
const bucket = (dealCount: number, unweighted: number, weighted: number, currency: string) => ({
  dealCount,
  unweighted: money(unweighted, currency),
  weighted: money(weighted, currency),
});

let server: PluginTestServer;
let ws: PluginTestWorkspace;
let sam: Awaited<ReturnType<PluginTestWorkspace['addMember']>>;
const ids: Record<string, string> = {};

const exec = (text: string, params: unknown[] = []) => server.orm.em.getConnection().execute(text, params);

async function insertPipeline(name: string, position: number, stages: [name: string, probability: number, kind: string][]) {
  const id = randomUUID();
  ids[name] = id;
  await exec(
    `insert into pipeline (id, workspace_id, created_at, updated_at, name, position, is_default) values (?, ?, now(), now(), ?, ?, ?)`,
    [id, ws.id, name, position, position === 0],
  );
  for (const [i, [stage, probability, kind]] of stages.entries()) {
    const stageId = randomUUID();
    ids[`${name}/${stage}`] = stageId;
    await exec(
      `insert into pipeline_stage (id, workspace_id, created_at, updated_at, pipeline_id, name, position, probability, kind) values (?, ?, now(), now(), ?, ?, ?, ?, ?)`,
      [stageId, ws.id, id, stage, i, probability, kind],
    );
  }
}

interface DealRow {
  name: string;
  stage: string; // "Pipeline/Stage"
  owner: 'ada' | 'sam';
  amount?: number | null;
  currency?: string | null;
  close?: string | null; // expected close date
  createdAt?: string;
  closedAt?: string | null;
  deleted?: boolean;
}

async function insertDeal(d: DealRow) {
  const [pipelineName] = d.stage.split('/');
  const status = d.stage.endsWith('/Won') ? 'won' : d.stage.endsWith('/Lost') ? 'lost' : 'open';
  const createdAt = d.createdAt ?? '2025-10-01T00:00:00Z';
  await exec(
    `insert into deal (id, workspace_id, created_at, updated_at, name, amount, currency, expected_close_date, owner_id, pipeline_id, stage_id, status,
       stage_entered_at, closed_at, deleted_at)
     values (?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      randomUUID(),
      ws.id,
      createdAt,
      d.name,
      d.amount ?? null,
      d.amount == null ? null : (d.currency ?? 'EUR'),
      d.close ?? null,
      d.owner === 'ada' ? ws.userId : sam.id,
      ids[pipelineName!],
      ids[d.stage],
      status,
      d.closedAt ?? createdAt,
      d.closedAt ?? null,
      d.deleted ? new Date() : null,
    ],
  );
}

beforeAll(async () => {
  server = await startPluginServer([pipeline]);
  ws = await server.newWorkspace(); // Ada Admin
  sam = await ws.addMember('Sam Sales', 'SALES');

  await insertPipeline('Sales', 0, [
    ['Lead', 10, 'open'],
    ['Proposal', 50, 'open'],
    ['Negotiation', 80, 'open'],
    ['Won', 100, 'won'],
    ['Lost', 0, 'lost'],
  ]);
  await insertPipeline('Renewals', 1, [
    ['Review', 30, 'open'],
    ['Commit', 90, 'open'],
    ['Won', 100, 'won'],
    ['Lost', 0, 'lost'],
  ]);

  const deals: DealRow[] = [
    // open, expected close in Q1 2026
    { name: 'D1', stage: 'Sales/Lead', owner: 'ada', amount: 100000, currency: 'EUR', close: '2026-01-15' }, // weighted 10000
    { name: 'D2', stage: 'Sales/Proposal', owner: 'ada', amount: 250050, currency: 'EUR', close: '2026-01-31' }, // 125025
    { name: 'D3', stage: 'Sales/Negotiation', owner: 'sam', amount: 99999, currency: 'EUR', close: '2026-02-01' }, // 79999.2
    { name: 'D4', stage: 'Sales/Proposal', owner: 'sam', amount: 300000, currency: 'USD', close: '2026-02-28' }, // 150000
    { name: 'D5', stage: 'Renewals/Review', owner: 'ada', amount: 40000, currency: 'USD', close: '2026-03-31' }, // 12000 (last day included)
    { name: 'D6', stage: 'Renewals/Commit', owner: 'sam', amount: 10001, currency: 'EUR', close: '2026-03-10' }, // 9000.9
    // open but not counted: outside the period, no amount, deleted
    { name: 'D7', stage: 'Sales/Lead', owner: 'ada', amount: 500000, currency: 'EUR', close: '2026-04-01' },
    { name: 'D8', stage: 'Sales/Lead', owner: 'ada', amount: 70000, currency: 'EUR', close: '2025-12-31' },
    { name: 'D9', stage: 'Sales/Proposal', owner: 'ada', amount: null, close: '2026-02-10' },
    { name: 'D10', stage: 'Sales/Proposal', owner: 'sam', amount: 5, currency: 'EUR', close: '2026-02-15', deleted: true },
    // closed in the period (closed_at from 2026-01-01 00:00 UTC to the end of 2026-03-31 UTC)
    {
      name: 'W1',
      stage: 'Sales/Won',
      owner: 'ada',
      amount: 200000,
      currency: 'EUR',
      createdAt: '2025-11-01T00:00:00Z',
      closedAt: '2026-01-20T12:00:00Z',
    }, // 80.5 days
    {
      name: 'W2',
      stage: 'Renewals/Won',
      owner: 'sam',
      amount: 50000,
      currency: 'USD',
      createdAt: '2026-01-01T00:00:00Z',
      closedAt: '2026-02-10T00:00:00Z',
    }, // 40 days
    {
      name: 'W3',
      stage: 'Sales/Won',
      owner: 'sam',
      amount: 30000,
      currency: 'EUR',
      createdAt: '2026-03-01T00:00:00Z',
      closedAt: '2026-03-31T18:00:00Z',
    }, // 30.75 days
    {
      name: 'L1',
      stage: 'Sales/Lost',
      owner: 'ada',
      amount: 10000,
      currency: 'EUR',
      createdAt: '2025-12-01T00:00:00Z',
      closedAt: '2026-02-05T00:00:00Z',
    },
    { name: 'L2', stage: 'Renewals/Lost', owner: 'sam', amount: null, createdAt: '2026-01-10T00:00:00Z', closedAt: '2026-03-15T09:00:00Z' },
    // closed outside the period, or deleted
    { name: 'W4', stage: 'Sales/Won', owner: 'ada', amount: 99, currency: 'EUR', closedAt: '2026-04-01T00:00:00Z' },
    { name: 'W5', stage: 'Sales/Won', owner: 'ada', amount: 77, currency: 'EUR', closedAt: '2025-12-31T23:59:59Z' },
    { name: 'W6', stage: 'Sales/Won', owner: 'sam', amount: 66, currency: 'USD', closedAt: '2026-02-01T00:00:00Z', deleted: true },
  ];
  for (const deal of deals) await insertDeal(deal);

  // Sam reads deals with OWN scope only (a custom role)
  const role = await ws.ok(`mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { message } } }`, {
    i: { name: 'Own deals', grants: [{ permission: 'deal:read', scope: 'OWN' }, { permission: 'user:read' }] },
  });
  expect(role.createRole.userErrors).toEqual([]);
  const assigned = await ws.ok(`mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { userErrors { message } } }`, {
    i: { userId: toGlobalId('User', sam.id), role: role.createRole.role.id },
  });
  expect(assigned.updateMemberRole.userErrors).toEqual([]);
});

afterAll(async () => {
  await server?.close();
});

describe('dealForecast', () => {
  it('sums the open pipeline per currency, month, owner and stage, and the period’s closed deals (all deals, admin)', async () => {
    const { dealForecast: f } = await ws.ok(FORECAST, { i: Q1 });
    expect(f.from).toBe('2026-01-01');
    expect(f.to).toBe('2026-03-31');
    // EUR: D1 + D2 + D3 + D6 = 460050; weighted round(10000 + 125025 + 79999.2 + 9000.9) = round(224025.1) = 224025
    // USD: D4 + D5 = 340000; weighted 150000 + 12000 = 162000
    expect(f.totals).toEqual([bucket(4, 460050, 224025, 'EUR'), bucket(2, 340000, 162000, 'USD')]);
    expect(f.byMonth).toEqual([
      { month: '2026-01', ...bucket(2, 350050, 135025, 'EUR') }, // D1 + D2: 10000 + 125025
      { month: '2026-02', ...bucket(1, 99999, 79999, 'EUR') }, // D3: 79999.2 rounds down
      { month: '2026-02', ...bucket(1, 300000, 150000, 'USD') }, // D4
      { month: '2026-03', ...bucket(1, 10001, 9001, 'EUR') }, // D6: 9000.9 rounds up
      { month: '2026-03', ...bucket(1, 40000, 12000, 'USD') }, // D5
    ]);
    const ada = { id: toGlobalId('User', ws.userId), name: 'Ada Admin' };
    const samUser = { id: toGlobalId('User', sam.id), name: 'Sam Sales' };
    expect(f.byOwner).toEqual([
      { owner: ada, ...bucket(2, 350050, 135025, 'EUR') }, // D1 + D2
      { owner: ada, ...bucket(1, 40000, 12000, 'USD') }, // D5
      { owner: samUser, ...bucket(2, 110000, 89000, 'EUR') }, // D3 + D6: round(79999.2 + 9000.9) = round(89000.1)
      { owner: samUser, ...bucket(1, 300000, 150000, 'USD') }, // D4
    ]);
    const stage = (p: string, s: string, probability: number) => ({
      pipelineId: toGlobalId('Pipeline', ids[p]!),
      pipelineName: p,
      stageId: toGlobalId('PipelineStage', ids[`${p}/${s}`]!),
      stageName: s,
      probability,
    });
    expect(f.byStage).toEqual([
      { ...stage('Sales', 'Lead', 10), ...bucket(1, 100000, 10000, 'EUR') },
      { ...stage('Sales', 'Proposal', 50), ...bucket(1, 250050, 125025, 'EUR') },
      { ...stage('Sales', 'Proposal', 50), ...bucket(1, 300000, 150000, 'USD') },
      { ...stage('Sales', 'Negotiation', 80), ...bucket(1, 99999, 79999, 'EUR') },
      { ...stage('Renewals', 'Review', 30), ...bucket(1, 40000, 12000, 'USD') },
      { ...stage('Renewals', 'Commit', 90), ...bucket(1, 10001, 9001, 'EUR') },
    ]);
    // won in the period: W1 + W3 (EUR 230000), W2 (USD 50000); lost: L1, L2 → 3 / 5
    expect(f.wonToDate).toEqual([
      { dealCount: 2, amount: money(230000, 'EUR') },
      { dealCount: 1, amount: money(50000, 'USD') },
    ]);
    expect(f.wonCount).toBe(3);
    expect(f.lostCount).toBe(2);
    expect(f.winRate).toBe(0.6);
    // (80.5 + 40 + 30.75) / 3 = 50.41666…
    expect(f.averageSalesCycleDays).toBeCloseTo(50.4166667, 6);
  });

  it('a member with OWN deal:read scope sees only their own deals', async () => {
    const { dealForecast: f } = await sam.ok(FORECAST, { i: Q1 });
    expect(f.totals).toEqual([bucket(2, 110000, 89000, 'EUR'), bucket(1, 300000, 150000, 'USD')]); // D3 + D6, D4
    expect(f.byMonth).toEqual([
      { month: '2026-02', ...bucket(1, 99999, 79999, 'EUR') },
      { month: '2026-02', ...bucket(1, 300000, 150000, 'USD') },
      { month: '2026-03', ...bucket(1, 10001, 9001, 'EUR') },
    ]);
    expect(f.byOwner.map((b: { owner: { name: string } }) => b.owner.name)).toEqual(['Sam Sales', 'Sam Sales']);
    expect(f.byStage.map((b: { stageName: string; dealCount: number }) => [b.stageName, b.dealCount])).toEqual([
      ['Proposal', 1],
      ['Negotiation', 1],
      ['Commit', 1],
    ]);
    // W2, W3 won; L2 lost
    expect(f.wonToDate).toEqual([
      { dealCount: 1, amount: money(30000, 'EUR') },
      { dealCount: 1, amount: money(50000, 'USD') },
    ]);
    expect([f.wonCount, f.lostCount]).toEqual([2, 1]);
    expect(f.winRate).toBeCloseTo(2 / 3, 10);
    expect(f.averageSalesCycleDays).toBe(35.375); // (40 + 30.75) / 2
  });

  it('filters by pipeline, owner and currency', async () => {
    const renewals = (await ws.ok(FORECAST, { i: { ...Q1, pipelineId: toGlobalId('Pipeline', ids.Renewals!) } })).dealForecast;
    expect(renewals.totals).toEqual([bucket(1, 10001, 9001, 'EUR'), bucket(1, 40000, 12000, 'USD')]); // D6, D5
    expect(renewals.wonToDate).toEqual([{ dealCount: 1, amount: money(50000, 'USD') }]); // W2
    expect([renewals.wonCount, renewals.lostCount, renewals.winRate, renewals.averageSalesCycleDays]).toEqual([1, 1, 0.5, 40]);

    const samsDeals = (await ws.ok(FORECAST, { i: { ...Q1, ownerId: toGlobalId('User', sam.id) } })).dealForecast;
    expect(samsDeals.totals).toEqual([bucket(2, 110000, 89000, 'EUR'), bucket(1, 300000, 150000, 'USD')]);
    expect([samsDeals.wonCount, samsDeals.lostCount]).toEqual([2, 1]);

    const usd = (await ws.ok(FORECAST, { i: { ...Q1, currency: 'USD' } })).dealForecast;
    expect(usd.totals).toEqual([bucket(2, 340000, 162000, 'USD')]);
    expect(usd.byOwner.map((b: { owner: { name: string }; dealCount: number }) => [b.owner.name, b.dealCount])).toEqual([
      ['Ada Admin', 1],
      ['Sam Sales', 1],
    ]);
    // only W2 closed in USD
    expect([usd.wonCount, usd.lostCount, usd.winRate, usd.averageSalesCycleDays]).toEqual([1, 0, 1, 40]);
  });

  it('a period with no deals has empty buckets and null rates', async () => {
    const { dealForecast: f } = await ws.ok(FORECAST, { i: { from: '2030-01-01T00:00:00Z', to: '2030-12-31T00:00:00Z' } });
    expect(f).toMatchObject({
      totals: [],
      byMonth: [],
      byOwner: [],
      byStage: [],
      wonToDate: [],
      wonCount: 0,
      lostCount: 0,
      winRate: null,
      averageSalesCycleDays: null,
    });
  });

  it('rejects a reversed period, an unknown currency and a foreign id; needs deal:read', async () => {
    const reversed = await ws.gql(FORECAST, { i: { from: '2026-03-01T00:00:00Z', to: '2026-02-01T00:00:00Z' } });
    expect(reversed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['to'] });
    const currency = await ws.gql(FORECAST, { i: { ...Q1, currency: 'ABC' } });
    expect(currency.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['currency'] });
    const badId = await ws.gql(FORECAST, { i: { ...Q1, pipelineId: toGlobalId('Contact', randomUUID()) } });
    expect(badId.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['pipelineId'] });

    const role = await ws.ok(`mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } } }`, {
      i: { name: 'No deals', grants: [{ permission: 'contact:read' }] },
    });
    const kim = await ws.addMember('Kim Nodeals', 'SALES');
    await ws.ok(`mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { userErrors { message } } }`, {
      i: { userId: toGlobalId('User', kim.id), role: role.createRole.role.id },
    });
    const refused = await kim.gql(FORECAST, { i: Q1 });
    expect(refused.data?.dealForecast ?? null).toBeNull();
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('another workspace’s deals never count', async () => {
    const other = await server.newWorkspace();
    const { dealForecast: f } = await other.ok(FORECAST, { i: Q1 });
    expect([f.totals, f.wonCount, f.lostCount]).toEqual([[], 0, 0]);
  });
});
