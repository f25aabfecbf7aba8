import { startPluginServer, type GraphQLClient, type PluginTestServer } from '../../../src/sdk/testing.js';
import pipeline from '../../../plugins/pipeline/plugin.js';
import { withWorkspace } from '../../../src/db/rls/tenant-context.js';
import { seedPipelineDemo } from '../../../plugins/pipeline/demo-data.js';
import { CREATE_DEAL, DEAL_FIELDS, createDeal, createPipeline, stageByName, type PipelineShape } from './helpers.js';

/**
 * Deals end to end: CRUD, filters and sorts, record scope, stage moves with history and timeline entries, domain
 * events, fields on companies and contacts, search, and refused input leaving every row as it was.
 */

const ERRORS = `userErrors { field message code }`;
const DEAL = `query($id: ID!) { deal(id: $id) { ${DEAL_FIELDS} } }`;
const UPDATE = `mutation($i: UpdateDealInput!) { updateDeal(input: $i) { deal { ${DEAL_FIELDS} } ${ERRORS} } }`;
const MOVE = `mutation($i: MoveDealToStageInput!) { moveDealToStage(input: $i) { deal { ${DEAL_FIELDS} } ${ERRORS} } }`;
const WON = `mutation($i: CloseDealInput!) { markDealWon(input: $i) { deal { ${DEAL_FIELDS} } ${ERRORS} } }`;
const LOST = `mutation($i: MarkDealLostInput!) { markDealLost(input: $i) { deal { ${DEAL_FIELDS} } ${ERRORS} } }`;
const REOPEN = `mutation($i: ReopenDealInput!) { reopenDeal(input: $i) { deal { ${DEAL_FIELDS} } ${ERRORS} } }`;
const DELETE = `mutation($id: ID!, $v: Int) { deleteDeal(id: $id, version: $v) { deal { id deletedAt } ${ERRORS} } }`;
const RESTORE = `mutation($id: ID!) { restoreDeal(id: $id) { deal { id deletedAt } ${ERRORS} } }`;
const LIST = `query($f: DealFilter, $o: [DealOrder!], $first: Int, $after: String) {
  deals(filter: $f, orderBy: $o, first: $first, after: $after) { totalCount nodes { id name } pageInfo { hasNextPage endCursor } } }`;
const CREATE_COMPANY = `mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } ${ERRORS} } }`;
const CREATE_CONTACT = `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } ${ERRORS} } }`;
const CREATE_TAG = `mutation($i: CreateTagInput!) { createTag(input: $i) { tag { id } ${ERRORS} } }`;
const CREATE_FIELD = `mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { customField { id } ${ERRORS} } }`;
const TIMELINE = `query($id: ID!) { timeline(targetId: $id) { nodes { entryType ... on TimelineEvent { title } } } }`;

describe('pipeline plugin: deals', () => {
  let server: PluginTestServer;
  beforeAll(async () => {
    server = await startPluginServer([pipeline]);
  });
  afterAll(async () => {
    await server?.close();
  });

  const db = () => server.orm.em.getConnection();
  const count = async (table: string, workspaceId: string) =>
    Number((await db().execute(`select count(*)::int as n from ${table} where workspace_id = ?`, [workspaceId]))[0].n);
  /** Everything a refused deal write must leave alone. */
  const snapshot = async (ws: { id: string }) => ({
    deals: await db().execute('select * from deal where workspace_id = ? order by id', [ws.id]),
    history: await db().execute('select * from deal_stage_history where workspace_id = ? order by id', [ws.id]),
    contacts: await db().execute('select * from deal_contact where workspace_id = ? order by deal_id, contact_id', [ws.id]),
    outbox: await count('outbox_event', ws.id),
    timelineEvents: await count('timeline_event', ws.id),
    timelineLinks: await count('timeline_link', ws.id),
  });
  const events = async (ws: { id: string }, type: string) =>
    (await db().execute('select payload from outbox_event where workspace_id = ? and type = ? order by occurred_at', [ws.id, type])).map(
      (r: { payload: unknown }) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload),
    );
  const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

  async function setup() {
    const ws = await server.newWorkspace();
    const p = await createPipeline(ws);
    const company = (await ws.ok(CREATE_COMPANY, { i: { name: 'Acme' } })).createCompany.company.id as string;
    const ann = (await ws.ok(CREATE_CONTACT, { i: { firstName: 'Ann', companyId: company } })).createContact.contact.id as string;
    const bob = (await ws.ok(CREATE_CONTACT, { i: { firstName: 'Bob' } })).createContact.contact.id as string;
    return { ws, p, company, ann, bob };
  }

  it('entities and migration agree: the schema diff is empty', async () => {
    expect(String(await server.orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
  });

  it('creates, reads, updates, trashes and restores deals', async () => {
    const { ws, p, company, ann, bob } = await setup();
    const tag = (await ws.ok(CREATE_TAG, { i: { name: 'Hot' } })).createTag.tag.id;
    expect(
      (await ws.ok(CREATE_FIELD, { i: { objectType: 'Deal', key: 'region', label: 'Region', type: 'TEXT' } })).createCustomField.userErrors,
    ).toEqual([]);
    const deal = await createDeal(ws, {
      name: '  Big licence ',
      amount: { amount: 1250000, currency: 'EUR' },
      expectedCloseDate: '2027-03-31',
      companyId: company,
      contacts: [
        { contactId: bob, role: 'Champion' },
        { contactId: ann, role: 'Decision maker', isPrimary: true },
      ],
      source: 'Referral',
      priority: 'HIGH',
      tagIds: [tag],
      customFields: { region: 'EMEA' },
    });
    expect(deal).toMatchObject({
      name: 'Big licence',
      status: 'OPEN',
      version: 1,
      amount: { amount: 1250000, currency: 'EUR' },
      expectedCloseDate: '2027-03-31',
      owner: { id: expect.any(String) },
      company: { id: company },
      pipeline: { id: p.id },
      stage: { id: stageByName(p, 'Lead').id, name: 'Lead' },
      source: 'Referral',
      priority: 'HIGH',
      tags: [{ id: tag, name: 'Hot' }],
      customFields: { region: 'EMEA' },
      closedAt: null,
    });
    expect(deal.contacts).toEqual([
      { role: 'Decision maker', isPrimary: true, contact: { id: ann } },
      { role: 'Champion', isPrimary: false, contact: { id: bob } },
    ]);
    expect(await ws.ok(DEAL, { id: deal.id })).toEqual({ deal: { ...deal, timeInStageSeconds: expect.any(Number) } });
    expect((await events(ws, 'deal.created'))[0]).toEqual({
      id: rawId(deal.id),
      pipelineId: rawId(p.id),
      stageId: rawId(stageByName(p, 'Lead').id),
      ownerId: rawId(deal.owner.id),
      companyId: rawId(company),
      amount: 1250000,
      currency: 'EUR',
      status: 'open',
    });

    const updated = await ws.ok(UPDATE, {
      i: {
        id: deal.id,
        version: 1,
        name: 'Bigger licence',
        amount: { amount: 2000000, currency: 'USD' },
        priority: null,
        contacts: [{ contactId: bob }],
      },
    });
    expect(updated.updateDeal.userErrors).toEqual([]);
    expect(updated.updateDeal.deal).toMatchObject({
      name: 'Bigger licence',
      version: 2,
      amount: { amount: 2000000, currency: 'USD' },
      priority: null,
      contacts: [{ role: null, isPrimary: true, contact: { id: bob } }],
    });
    expect((await events(ws, 'deal.updated'))[0]).toEqual({ id: rawId(deal.id), changed: ['name', 'amount', 'priority', 'contacts'] });

    const trashed = await ws.ok(DELETE, { id: deal.id, v: 2 });
    expect(trashed.deleteDeal).toEqual({ deal: { id: deal.id, deletedAt: expect.any(String) }, userErrors: [] });
    expect((await ws.ok(LIST, {})).deals.totalCount).toBe(0);
    expect((await ws.ok(LIST, { f: { deleted: true } })).deals.nodes).toEqual([{ id: deal.id, name: 'Bigger licence' }]);
    expect((await events(ws, 'deal.deleted'))[0]).toEqual({ id: rawId(deal.id) });
    expect((await ws.ok(RESTORE, { id: deal.id })).restoreDeal).toEqual({ deal: { id: deal.id, deletedAt: null }, userErrors: [] });
    expect((await ws.ok(LIST, {})).deals.nodes).toEqual([{ id: deal.id, name: 'Bigger licence' }]);
  });

  it('filters, sorts and pages deals', async () => {
    const { ws, p, company, ann } = await setup();
    const other = await createPipeline(ws, 'Renewals');
    const member = await ws.addMember('Olga Owner', 'ADMIN');
    const tag = (await ws.ok(CREATE_TAG, { i: { name: 'Strategic' } })).createTag.tag.id;
    await ws.ok(CREATE_FIELD, { i: { objectType: 'Deal', key: 'seats', label: 'Seats', type: 'NUMBER' } });
    const mk = (name: string, extra: Record<string, unknown>) => createDeal(ws, { name, ...extra });
    const alpha = await mk('Alpha rollout', {
      amount: { amount: 5000, currency: 'EUR' },
      expectedCloseDate: '2027-01-10',
      companyId: company,
      tagIds: [tag],
      customFields: { seats: 10 },
    });
    const bravo = await mk('Bravo upgrade', {
      amount: { amount: 90000, currency: 'EUR' },
      expectedCloseDate: '2027-02-20',
      ownerId: `${Buffer.from(`User:${member.id}`).toString('base64url')}`,
      customFields: { seats: 50 },
    });
    const charlie = await mk('Charlie pilot', {
      amount: { amount: 30000, currency: 'USD' },
      expectedCloseDate: '2027-03-30',
      contacts: [{ contactId: ann }],
      stageId: stageByName(p, 'Proposal').id,
    });
    const delta = await mk('Delta renewal', { pipelineId: other.id });
    await ws.ok(WON, { i: { id: alpha.id, version: alpha.version } });

    const names = async (f: Record<string, unknown> | null, o?: unknown) =>
      (await ws.ok(LIST, { f, o })).deals.nodes.map((n: { name: string }) => n.name);
    expect(await names({ pipeline: { eq: other.id } })).toEqual(['Delta renewal']);
    expect(await names({ stage: { in: [stageByName(p, 'Proposal').id] } })).toEqual(['Charlie pilot']);
    expect(await names({ status: ['WON'] })).toEqual(['Alpha rollout']);
    expect(await names({ owner: { eq: `${Buffer.from(`User:${member.id}`).toString('base64url')}` } })).toEqual(['Bravo upgrade']);
    expect(await names({ company: { eq: company } })).toEqual(['Alpha rollout']);
    expect(await names({ contact: ann })).toEqual(['Charlie pilot']);
    expect(await names({ amount: { currency: 'EUR', gte: 10000 } })).toEqual(['Bravo upgrade']);
    expect(await names({ amount: { currency: 'EUR', lte: 100000 } }, [{ field: 'AMOUNT', direction: 'ASC' }])).toEqual([
      'Alpha rollout',
      'Bravo upgrade',
    ]);
    expect(
      await names({ expectedCloseDate: { gte: '2027-02-01', lte: '2027-03-30' } }, [{ field: 'EXPECTED_CLOSE_DATE', direction: 'DESC' }]),
    ).toEqual(['Charlie pilot', 'Bravo upgrade']);
    expect(await names({ query: 'pilot' })).toEqual(['Charlie pilot']);
    expect(await names({ tags: [tag] })).toEqual(['Alpha rollout']);
    expect(await names({ custom: [{ key: 'seats', gt: 20 }] })).toEqual(['Bravo upgrade']);
    expect(await names({ priority: [] })).toEqual([]);

    expect(await names(null, [{ field: 'NAME', direction: 'DESC' }])).toEqual([
      'Delta renewal',
      'Charlie pilot',
      'Bravo upgrade',
      'Alpha rollout',
    ]);
    // nulls last: Delta has no amount
    expect(await names(null, [{ field: 'AMOUNT', direction: 'DESC' }])).toEqual([
      'Bravo upgrade',
      'Charlie pilot',
      'Alpha rollout',
      'Delta renewal',
    ]);
    expect(await names(null, [{ field: 'CREATED_AT', direction: 'ASC' }])).toEqual([
      'Alpha rollout',
      'Bravo upgrade',
      'Charlie pilot',
      'Delta renewal',
    ]);
    // Alpha entered its stage last (won after the others were created)
    expect((await names(null, [{ field: 'STAGE_ENTERED_AT', direction: 'DESC' }]))[0]).toBe('Alpha rollout');
    // deals without the value come last (their order: the id tie-breaker)
    const bySeats = await names(null, [{ customField: 'seats', direction: 'DESC' }]);
    expect(bySeats.slice(0, 2)).toEqual(['Bravo upgrade', 'Alpha rollout']);
    expect(bySeats.slice(2).sort()).toEqual(['Charlie pilot', 'Delta renewal']);

    // keyset pages with a stable total
    const first = (await ws.ok(LIST, { o: [{ field: 'NAME' }], first: 3 })).deals;
    expect(first).toMatchObject({
      totalCount: 4,
      nodes: [{ name: 'Alpha rollout' }, { name: 'Bravo upgrade' }, { name: 'Charlie pilot' }],
      pageInfo: { hasNextPage: true },
    });
    const second = (await ws.ok(LIST, { o: [{ field: 'NAME' }], first: 3, after: first.pageInfo.endCursor })).deals;
    expect(second).toMatchObject({ totalCount: 4, nodes: [{ name: 'Delta renewal' }], pageInfo: { hasNextPage: false } });

    // bad filters are typed errors
    const bad = await ws.gql(LIST, { f: { amount: { currency: 'XXZ', gte: 1 } } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    void bravo;
    void charlie;
    void delta;
  });

  it('record scope: a SALES member sees and changes only their own deals (lists, counts, node, search, writes)', async () => {
    const { ws, p } = await setup();
    const sam = await ws.addMember('Sam Sales', 'SALES');
    const mine = await createDeal(sam, { name: 'Sam scope deal', pipelineId: p.id });
    const theirs = await createDeal(ws, { name: 'Admin scope deal', pipelineId: p.id });
    expect(mine.owner.id).toBe(Buffer.from(`User:${sam.id}`).toString('base64url'));

    expect((await sam.ok(LIST, {})).deals).toMatchObject({ totalCount: 1, nodes: [{ id: mine.id }] });
    expect((await ws.ok(LIST, {})).deals.totalCount).toBe(2);
    expect((await sam.ok(DEAL, { id: theirs.id })).deal).toBeNull();
    expect((await sam.ok(`query($id: ID!) { node(id: $id) { id } }`, { id: theirs.id })).node).toBeNull();
    const hits = await sam.ok(`{ search(query: "scope deal") { node { ... on Deal { id } } } }`);
    expect(hits.search).toEqual([{ node: { id: mine.id } }]);

    const before = await snapshot(ws);
    const refused = await sam.ok(UPDATE, { i: { id: theirs.id, version: theirs.version, name: 'Hijacked' } });
    expect(refused.updateDeal).toMatchObject({ deal: null, userErrors: [{ field: ['id'], code: 'NOT_FOUND' }] });
    const moved = await sam.ok(MOVE, { i: { id: theirs.id, version: theirs.version, stageId: stageByName(p, 'Qualified').id } });
    expect(moved.moveDealToStage.userErrors[0]).toMatchObject({ code: 'NOT_FOUND' });
    // a SALES member (own update scope) cannot hand a deal to someone else
    const handOff = await sam.ok(UPDATE, { i: { id: mine.id, version: mine.version, ownerId: theirs.owner.id } });
    expect(handOff.updateDeal.userErrors[0]).toMatchObject({ field: ['ownerId'], code: 'FORBIDDEN' });
    expect(await snapshot(ws)).toEqual(before);
  });

  it('moves through stages, wins, reopens and loses, with stage history, time in stage, events and timeline entries', async () => {
    const { ws, p, company, ann, bob } = await setup();
    const deal = await createDeal(ws, {
      name: 'Journey',
      amount: { amount: 700000, currency: 'EUR' },
      companyId: company,
      contacts: [{ contactId: bob }, { contactId: ann, isPrimary: true }],
    });
    const qualified = stageByName(p, 'Qualified');
    const moved = (await ws.ok(MOVE, { i: { id: deal.id, version: 1, stageId: qualified.id } })).moveDealToStage;
    expect(moved.userErrors).toEqual([]);
    expect(moved.deal).toMatchObject({ stage: { name: 'Qualified' }, status: 'OPEN', version: 2 });
    expect(moved.deal.timeInStageSeconds).toBeGreaterThanOrEqual(0);

    const won = (await ws.ok(WON, { i: { id: deal.id, version: 2 } })).markDealWon;
    expect(won.deal).toMatchObject({ status: 'WON', stage: { name: 'Won' }, closedAt: expect.any(String), version: 3 });
    const reopened = (await ws.ok(REOPEN, { i: { id: deal.id, version: 3 } })).reopenDeal;
    // back to the last open stage it was in
    expect(reopened.deal).toMatchObject({ status: 'OPEN', stage: { name: 'Qualified' }, closedAt: null, version: 4 });
    const lost = (await ws.ok(LOST, { i: { id: deal.id, version: 4, reason: 'Budget cut' } })).markDealLost;
    expect(lost.deal).toMatchObject({
      status: 'LOST',
      stage: { name: 'Lost' },
      lostReason: 'Budget cut',
      closedAt: expect.any(String),
      version: 5,
    });

    const history = await ws.ok(
      `query($id: ID!) { deal(id: $id) { timeInStageSeconds stageHistory { stage { name } enteredAt leftAt enteredBy { id } leftBy { id } durationSeconds } } }`,
      { id: deal.id },
    );
    const stays = history.deal.stageHistory;
    expect(stays.map((s: { stage: { name: string } }) => s.stage.name)).toEqual(['Lead', 'Qualified', 'Won', 'Qualified', 'Lost']);
    expect(stays.slice(0, 4).every((s: { leftAt: string | null; leftBy: unknown }) => s.leftAt !== null && s.leftBy !== null)).toBe(true);
    expect(stays[4]).toMatchObject({ leftAt: null, leftBy: null, enteredBy: { id: expect.any(String) } });
    for (let i = 1; i < stays.length; i++) expect(stays[i].enteredAt).toBe(stays[i - 1].leftAt);
    for (const s of stays) expect(s.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(history.deal.timeInStageSeconds).toBeGreaterThanOrEqual(0);

    const id = rawId(deal.id);
    expect(
      (await events(ws, 'deal.stageChanged')).map((e: { fromStageId: string; toStageId: string }) => [e.fromStageId, e.toStageId]),
    ).toEqual([
      [rawId(stageByName(p, 'Lead').id), rawId(qualified.id)],
      [rawId(qualified.id), rawId(stageByName(p, 'Won').id)],
      [rawId(stageByName(p, 'Won').id), rawId(qualified.id)],
      [rawId(qualified.id), rawId(stageByName(p, 'Lost').id)],
    ]);
    expect(await events(ws, 'deal.won')).toEqual([
      {
        id,
        pipelineId: rawId(p.id),
        stageId: rawId(stageByName(p, 'Won').id),
        ownerId: expect.any(String),
        companyId: rawId(company),
        amount: 700000,
        currency: 'EUR',
        primaryContactId: rawId(ann),
      },
    ]);
    expect(await events(ws, 'deal.reopened')).toEqual([{ id, pipelineId: rawId(p.id), stageId: rawId(qualified.id) }]);
    expect(await events(ws, 'deal.lost')).toEqual([
      {
        id,
        pipelineId: rawId(p.id),
        stageId: rawId(stageByName(p, 'Lost').id),
        ownerId: expect.any(String),
        companyId: rawId(company),
        lostReason: 'Budget cut',
      },
    ]);

    const entries = ['deal.lost', 'deal.reopened', 'deal.won', 'deal.stageChanged', 'deal.created'];
    for (const target of [deal.id, company, ann, bob]) {
      const { timeline } = await ws.ok(TIMELINE, { id: target });
      expect(timeline.nodes.map((n: { entryType: string }) => n.entryType)).toEqual(entries);
    }
    const dealTimeline = await ws.ok(
      `query($id: ID!) { deal(id: $id) { timeline(first: 2) { totalCount nodes { entryType ... on TimelineEvent { title } } } } }`,
      { id: deal.id },
    );
    expect(dealTimeline.deal.timeline).toEqual({
      totalCount: 5,
      nodes: [
        { entryType: 'deal.lost', title: 'Deal "Journey" lost: Budget cut' },
        { entryType: 'deal.reopened', title: 'Deal "Journey" reopened in Qualified' },
      ],
    });
    // activities can be logged on deals too
    const logged = await ws.ok(`mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } ${ERRORS} } }`, {
      i: { type: 'CALL', subject: 'Kick-off', targetIds: [deal.id] },
    });
    expect(logged.logActivity.userErrors).toEqual([]);
    expect((await ws.ok(TIMELINE, { id: deal.id })).timeline.nodes[0].entryType).toBe('CALL');
  });

  it('moves across pipelines only when pipelineId names the target pipeline', async () => {
    const { ws, p } = await setup();
    const other = await createPipeline(ws, 'Renewals');
    const deal = await createDeal(ws, { name: 'Cross', pipelineId: p.id });
    const moved = (await ws.ok(MOVE, { i: { id: deal.id, version: 1, stageId: stageByName(other, 'Qualified').id, pipelineId: other.id } }))
      .moveDealToStage;
    expect(moved.userErrors).toEqual([]);
    expect(moved.deal).toMatchObject({ pipeline: { id: other.id }, stage: { id: stageByName(other, 'Qualified').id } });
  });

  it('refuses bad input with typed errors and writes nothing (deal, history, outbox, timeline)', async () => {
    const { ws, p, company, ann } = await setup();
    const other: PipelineShape = await createPipeline(ws, 'Other');
    const deal = await createDeal(ws, {
      name: 'Untouchable',
      amount: { amount: 1000, currency: 'EUR' },
      companyId: company,
      contacts: [{ contactId: ann }],
    });
    const won = await createDeal(ws, { name: 'Already won' });
    const wonDeal = (await ws.ok(WON, { i: { id: won.id, version: 1 } })).markDealWon.deal;
    const before = await snapshot(ws);

    const expectRefused = async (client: GraphQLClient, query: string, vars: Record<string, unknown>, field: string[], code: string) => {
      const data = await client.ok(query, vars);
      const payload = Object.values(data)[0] as { deal: unknown; userErrors: { field: string[]; code: string }[] };
      expect(payload.deal).toBeNull();
      expect(payload.userErrors[0]).toMatchObject({ field, code });
    };
    // a stage of another pipeline (without pipelineId)
    await expectRefused(
      ws,
      MOVE,
      { i: { id: deal.id, version: 1, stageId: stageByName(other, 'Qualified').id } },
      ['stageId'],
      'BAD_USER_INPUT',
    );
    // ... also with the wrong pipelineId
    await expectRefused(
      ws,
      MOVE,
      { i: { id: deal.id, version: 1, stageId: stageByName(other, 'Qualified').id, pipelineId: p.id } },
      ['stageId'],
      'BAD_USER_INPUT',
    );
    // negative amount, unknown currency (on update and create)
    await expectRefused(
      ws,
      UPDATE,
      { i: { id: deal.id, version: 1, amount: { amount: -5, currency: 'EUR' } } },
      ['amount', 'amount'],
      'BAD_USER_INPUT',
    );
    await expectRefused(
      ws,
      UPDATE,
      { i: { id: deal.id, version: 1, amount: { amount: 5, currency: 'EUX' } } },
      ['amount', 'currency'],
      'BAD_USER_INPUT',
    );
    await expectRefused(
      ws,
      CREATE_DEAL,
      { i: { name: 'Negative', amount: { amount: -1, currency: 'EUR' } } },
      ['amount', 'amount'],
      'BAD_USER_INPUT',
    );
    await expectRefused(
      ws,
      CREATE_DEAL,
      { i: { name: 'Unknown currency', amount: { amount: 1, currency: 'ABC' } } },
      ['amount', 'currency'],
      'BAD_USER_INPUT',
    );
    await expectRefused(
      ws,
      CREATE_DEAL,
      { i: { name: 'Bad date', expectedCloseDate: '2027-02-30' } },
      ['expectedCloseDate'],
      'BAD_USER_INPUT',
    );
    await expectRefused(ws, CREATE_DEAL, { i: { name: 'Bad stage', stageId: deal.id } }, ['stageId'], 'BAD_USER_INPUT');
    // stale version on every kind of write
    await expectRefused(ws, UPDATE, { i: { id: deal.id, version: 7, name: 'Stale' } }, ['version'], 'CONFLICT');
    await expectRefused(ws, MOVE, { i: { id: deal.id, version: 7, stageId: stageByName(p, 'Qualified').id } }, ['version'], 'CONFLICT');
    await expectRefused(ws, WON, { i: { id: deal.id, version: 7 } }, ['version'], 'CONFLICT');
    // a WON deal cannot be marked lost, or moved to the LOST stage, without reopening it
    await expectRefused(ws, LOST, { i: { id: won.id, version: wonDeal.version, reason: 'Changed mind' } }, ['id'], 'CONFLICT');
    await expectRefused(ws, MOVE, { i: { id: won.id, version: wonDeal.version, stageId: stageByName(p, 'Lost').id } }, ['id'], 'CONFLICT');
    await expectRefused(ws, WON, { i: { id: won.id, version: wonDeal.version } }, ['id'], 'CONFLICT');
    // an open deal cannot be reopened; reopening into a closed stage is refused
    await expectRefused(ws, REOPEN, { i: { id: deal.id, version: 1 } }, ['id'], 'CONFLICT');
    await expectRefused(
      ws,
      REOPEN,
      { i: { id: won.id, version: wonDeal.version, stageId: stageByName(p, 'Lost').id } },
      ['stageId'],
      'BAD_USER_INPUT',
    );
    // unknown contact, company
    await expectRefused(
      ws,
      UPDATE,
      { i: { id: deal.id, version: 1, contacts: [{ contactId: company }] } },
      ['contacts', '0', 'contactId'],
      'BAD_USER_INPUT',
    );
    await expectRefused(
      ws,
      UPDATE,
      { i: { id: deal.id, version: 1, companyId: Buffer.from('Company:00000000-0000-4000-8000-000000000000').toString('base64url') } },
      ['companyId'],
      'NOT_FOUND',
    );

    expect(await snapshot(ws)).toEqual(before);
    expect((await ws.ok(DEAL, { id: deal.id })).deal).toMatchObject({
      name: 'Untouchable',
      version: 1,
      amount: { amount: 1000, currency: 'EUR' },
      stage: { name: 'Lead' },
    });
    expect((await ws.ok(DEAL, { id: won.id })).deal).toMatchObject({ status: 'WON', version: wonDeal.version });
  });

  it('Company.deals, Contact.deals and Company.openDealsValue, batched over a page of parents', async () => {
    const { ws, p, company, ann, bob } = await setup();
    const beta = (await ws.ok(CREATE_COMPANY, { i: { name: 'Beta' } })).createCompany.company.id;
    await createDeal(ws, { name: 'A1', companyId: company, amount: { amount: 1000, currency: 'EUR' }, contacts: [{ contactId: ann }] });
    await createDeal(ws, {
      name: 'A2',
      companyId: company,
      amount: { amount: 2500, currency: 'EUR' },
      contacts: [{ contactId: ann }, { contactId: bob }],
    });
    await createDeal(ws, { name: 'A3', companyId: company, amount: { amount: 700, currency: 'USD' } });
    const closed = await createDeal(ws, { name: 'A4', companyId: company, amount: { amount: 9999, currency: 'EUR' } });
    await ws.ok(WON, { i: { id: closed.id, version: 1 } });
    await createDeal(ws, {
      name: 'B1',
      companyId: beta,
      amount: { amount: 300, currency: 'GBP' },
      stageId: stageByName(p, 'Qualified').id,
    });

    const companies = await ws.ok(`{ companies(orderBy: [{ field: NAME }]) { nodes { name openDealsValue { amount currency }
      deals(orderBy: [{ field: NAME }], first: 10) { totalCount nodes { name } } } } }`);
    expect(companies.companies.nodes).toEqual([
      {
        name: 'Acme',
        openDealsValue: [
          { amount: 3500, currency: 'EUR' },
          { amount: 700, currency: 'USD' },
        ],
        deals: { totalCount: 4, nodes: [{ name: 'A1' }, { name: 'A2' }, { name: 'A3' }, { name: 'A4' }] },
      },
      { name: 'Beta', openDealsValue: [{ amount: 300, currency: 'GBP' }], deals: { totalCount: 1, nodes: [{ name: 'B1' }] } },
    ]);
    const contacts = await ws.ok(
      `{ contacts(orderBy: [{ field: FIRST_NAME }]) { nodes { firstName deals(orderBy: [{ field: NAME }]) { totalCount nodes { name } } } } }`,
    );
    expect(contacts.contacts.nodes).toEqual([
      { firstName: 'Ann', deals: { totalCount: 2, nodes: [{ name: 'A1' }, { name: 'A2' }] } },
      { firstName: 'Bob', deals: { totalCount: 1, nodes: [{ name: 'A2' }] } },
    ]);
  });

  it('loads the relations of a page of deals in the same number of statements for 2 and for 8 deals (no N+1)', async () => {
    const { ws, p, company, ann, bob } = await setup();
    const tag = (await ws.ok(CREATE_TAG, { i: { name: 'Batch' } })).createTag.tag.id;
    for (let i = 0; i < 8; i++) {
      const deal = await createDeal(ws, {
        name: `Batch ${i}`,
        companyId: company,
        contacts: [{ contactId: ann }, { contactId: bob }],
        tagIds: [tag],
        amount: { amount: 100 * i, currency: 'EUR' },
      });
      await ws.ok(MOVE, { i: { id: deal.id, version: 1, stageId: stageByName(p, 'Qualified').id } });
    }
    const PAGE = `query($n: Int) { deals(first: $n) { nodes { name amount { amount } owner { name } company { name } pipeline { name } stage { name }
      contacts { role contact { firstName } } tags { name } stageHistory { stage { name } enteredBy { name } } } } }`;
    const statementsFor = async (n: number) => {
      let count = 0;
      server.appOrm.config.set('onQuery', (q: string) => {
        // the workspace's enabled-set lookup (cached for a second, not per row) and tenant context are bookkeeping
        if (!/workspace_module|set_config/.test(q)) count++;
        return q;
      });
      try {
        const data = await ws.ok(PAGE, { n });
        expect(data.deals.nodes).toHaveLength(n);
        for (const deal of data.deals.nodes) {
          expect(deal).toMatchObject({
            company: { name: 'Acme' },
            stage: { name: 'Qualified' },
            tags: [{ name: 'Batch' }],
            owner: { name: 'Ada Admin' },
          });
          expect(deal.contacts.map((c: { contact: { firstName: string } }) => c.contact.firstName)).toEqual(['Ann', 'Bob']);
          expect(deal.stageHistory.map((h: { stage: { name: string } }) => h.stage.name)).toEqual(['Lead', 'Qualified']);
        }
      } finally {
        server.appOrm.config.set('onQuery', (q: string) => q);
      }
      return count;
    };
    const two = await statementsFor(2);
    const eight = await statementsFor(8);
    expect(two).toBeGreaterThan(0);
    expect(eight).toBe(two);
  });

  it('search finds deals by name', async () => {
    const { ws } = await setup();
    const deal = await createDeal(ws, { name: 'Zeppelin fleet expansion' });
    const { search } = await ws.ok(`{ search(query: "zeppelin") { score matchedOn node { __typename ... on Deal { id name } } } }`);
    expect(search).toEqual([
      { score: expect.any(Number), matchedOn: 'name', node: { __typename: 'Deal', id: deal.id, name: 'Zeppelin fleet expansion' } },
    ]);
    const typed = await ws.ok(`{ search(query: "fleet", types: [DEAL]) { node { ... on Deal { id } } } }`);
    expect(typed.search).toEqual([{ node: { id: deal.id } }]);
  });

  it('demo data: two pipelines and deals spread over owners, companies, contacts and stages, with history', async () => {
    const ws = await server.newWorkspace();
    const company = (await ws.ok(CREATE_COMPANY, { i: { name: 'Demo Co' } })).createCompany.company.id;
    for (const firstName of ['Dee', 'Eve']) await ws.ok(CREATE_CONTACT, { i: { firstName, companyId: company } });
    await ws.addMember('Dana Demo', 'SALES');
    await withWorkspace(server.appOrm, ws.id, (em) => seedPipelineDemo({ workspaceId: ws.id, em, settings: {} }, 24));
    const { pipelines } = await ws.ok(`{ pipelines { name isDefault stages { name probability kind } } }`);
    expect(pipelines.map((p: { name: string; isDefault: boolean }) => [p.name, p.isDefault])).toEqual([
      ['Sales', true],
      ['Renewals', false],
    ]);
    expect(pipelines[0].stages.map((s: { name: string; probability: number }) => `${s.name} ${s.probability}`)).toEqual([
      'Lead 10',
      'Qualified 25',
      'Proposal 50',
      'Negotiation 75',
      'Won 100',
      'Lost 0',
    ]);
    const [stats] = await db().execute(
      `select count(*)::int as deals, count(distinct owner_id)::int as owners, count(distinct stage_id)::int as stages, count(distinct status)::int as statuses,
        (select count(*)::int from deal_stage_history h where h.workspace_id = ?) as stays
       from deal where workspace_id = ?`,
      [ws.id, ws.id],
    );
    expect(stats.deals).toBe(24);
    expect(stats.owners).toBe(2);
    expect(stats.stages).toBeGreaterThan(4);
    expect(stats.statuses).toBe(3);
    expect(stats.stays).toBeGreaterThan(24);
    // every deal's current stay matches its stage and stage_entered_at
    const [mismatch] = await db().execute(
      `select count(*)::int as n from deal d join deal_stage_history h on h.deal_id = d.id and h.left_at is null
       where d.workspace_id = ? and (h.stage_id <> d.stage_id or h.entered_at <> d.stage_entered_at)`,
      [ws.id],
    );
    expect(mismatch.n).toBe(0);
  });
});
