import type { SqlEntityManager } from '@mikro-orm/sql';
import {
  ActivitySeedCompanyDocument,
  ActivitySeedContactDocument,
  CompaniesWithActivitiesDocument,
  CompanyTimelineDocument,
  ContactsWithActivitiesDocument,
  LogActivityDocument,
  TimelineDocument,
} from '../generated/graphql.js';
import { recordTimelineEvent } from '../../src/core/activities/activities.module.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const uuidOf = (globalId: string) => parseGlobalId(globalId)!.id;

/** An entity manager scoped to one workspace, as a plugin's mutation would hold. */
function workspaceEm(ws: TestWorkspace): SqlEntityManager {
  const em = server.orm.em.fork() as SqlEntityManager;
  em.setFilterParams('tenant', { workspaceId: ws.id });
  return em;
}

async function logAt(
  ws: TestWorkspace,
  subject: string,
  occurredAt: string,
  targetIds: string[],
  type: 'CALL' | 'NOTE' | 'EMAIL' = 'NOTE',
) {
  const res = await ws.ok(LogActivityDocument, { input: { type, subject, occurredAt, targetIds } });
  expect(res.logActivity.userErrors).toEqual([]);
  return res.logActivity.activity!;
}

describe('timeline', () => {
  it('lists newest first and pages forwards and backwards with cursors', async () => {
    const ws = await server.newWorkspace();
    const company = (await ws.ok(ActivitySeedCompanyDocument, { name: 'Paging' })).createCompany.company!.id;
    await logAt(ws, 'Jan', '2026-01-01T00:00:00.000Z', [company]);
    await logAt(ws, 'Mar', '2026-03-01T00:00:00.000Z', [company]);
    await logAt(ws, 'Feb', '2026-02-01T00:00:00.000Z', [company]);
    const tieA = await logAt(ws, 'Apr-a', '2026-04-01T00:00:00.000Z', [company]);
    const tieB = await logAt(ws, 'Apr-b', '2026-04-01T00:00:00.000Z', [company]);
    const tiesNewestFirst = [tieA, tieB].sort((a, b) => (uuidOf(a.id) < uuidOf(b.id) ? 1 : -1)).map((a) => a.subject);

    const page1 = await ws.ok(TimelineDocument, { targetId: company, first: 2 });
    expect(page1.timeline.totalCount).toBe(5);
    expect(page1.timeline.edges.map((e) => (e.node as { subject: string }).subject)).toEqual(tiesNewestFirst);
    expect(page1.timeline.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await ws.ok(TimelineDocument, { targetId: company, first: 2, after: page1.timeline.pageInfo.endCursor });
    expect(page2.timeline.edges.map((e) => (e.node as { subject: string }).subject)).toEqual(['Mar', 'Feb']);
    const page3 = await ws.ok(TimelineDocument, { targetId: company, first: 2, after: page2.timeline.pageInfo.endCursor });
    expect(page3.timeline.edges.map((e) => (e.node as { subject: string }).subject)).toEqual(['Jan']);
    expect(page3.timeline.pageInfo.hasNextPage).toBe(false);

    const back = await ws.ok(TimelineDocument, { targetId: company, last: 2, before: page3.timeline.pageInfo.startCursor });
    expect(back.timeline.edges.map((e) => (e.node as { subject: string }).subject)).toEqual(['Mar', 'Feb']);
    expect(back.timeline.pageInfo.hasPreviousPage).toBe(true);

    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    const bad = await ws.gql(TimelineDocument, { targetId: company, after: forged });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badTarget = await ws.gql(TimelineDocument, { targetId: 'nope' });
    expect(badTarget.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('filters by entry type, on the query and on Company.timeline', async () => {
    const ws = await server.newWorkspace();
    const company = (await ws.ok(ActivitySeedCompanyDocument, { name: 'Types' })).createCompany.company!.id;
    await logAt(ws, 'A call', '2026-01-01T00:00:00.000Z', [company], 'CALL');
    await logAt(ws, 'A note', '2026-01-02T00:00:00.000Z', [company], 'NOTE');
    await logAt(ws, 'An email', '2026-01-03T00:00:00.000Z', [company], 'EMAIL');
    const calls = await ws.ok(TimelineDocument, { targetId: company, types: ['CALL', 'EMAIL'] });
    expect(calls.timeline.edges.map((e) => e.node.entryType)).toEqual(['EMAIL', 'CALL']);
    expect(calls.timeline.totalCount).toBe(2);
    const field = await ws.ok(CompanyTimelineDocument, { id: company, types: ['NOTE'] });
    expect(field.company!.timeline).toEqual({ totalCount: 1, nodes: [{ __typename: 'Activity', entryType: 'NOTE', subject: 'A note' }] });
  });

  it('shows plugin events recorded with recordTimelineEvent, on plugin record timelines too', async () => {
    const ws = await server.newWorkspace();
    const company = (await ws.ok(ActivitySeedCompanyDocument, { name: 'Events' })).createCompany.company!.id;
    await logAt(ws, 'Before', '2026-01-01T00:00:00.000Z', [company]);
    await logAt(ws, 'After', '2026-01-03T00:00:00.000Z', [company]);
    const dealId = '11111111-2222-4333-8444-555555555555';
    const em = workspaceEm(ws);
    await em.transactional((tx) =>
      recordTimelineEvent(tx as SqlEntityManager, {
        entryType: 'deal.stageChanged',
        title: 'Deal moved to Proposal',
        body: 'from Qualified',
        data: { from: 'QUALIFIED', to: 'PROPOSAL' },
        occurredAt: new Date('2026-01-02T00:00:00.000Z'),
        actorId: ws.userId,
        targets: [
          { type: 'Company', id: uuidOf(company) },
          { type: 'Deal', id: dealId },
        ],
      }),
    );
    const timeline = await ws.ok(TimelineDocument, { targetId: company });
    expect(timeline.timeline.edges.map((e) => [e.node.__typename, e.node.entryType])).toEqual([
      ['Activity', 'NOTE'],
      ['TimelineEvent', 'deal.stageChanged'],
      ['Activity', 'NOTE'],
    ]);
    expect(timeline.timeline.edges[1]!.node).toMatchObject({
      title: 'Deal moved to Proposal',
      body: 'from Qualified',
      data: { from: 'QUALIFIED', to: 'PROPOSAL' },
      actor: { name: 'Ada Admin' },
      occurredAt: '2026-01-02T00:00:00.000Z',
    });
    const dealTimeline = await ws.ok(TimelineDocument, { targetId: toGlobalId('Deal', dealId), types: ['deal.stageChanged'] });
    expect(dealTimeline.timeline.totalCount).toBe(1);
    const eventId = timeline.timeline.edges[1]!.node.id;
    expect(await ws.ok(`query($id: ID!) { node(id: $id) { ... on TimelineEvent { title } } }`, { id: eventId })).toEqual({
      node: { title: 'Deal moved to Proposal' },
    });
    // events are not visible in other workspaces
    const other = await server.newWorkspace();
    expect((await other.ok(TimelineDocument, { targetId: toGlobalId('Deal', dealId) })).timeline.totalCount).toBe(0);
  });

  it('rejects a malformed event from a plugin and writes nothing', async () => {
    const ws = await server.newWorkspace();
    const em = workspaceEm(ws);
    await expect(
      recordTimelineEvent(em, {
        entryType: 'NoNamespace',
        title: 'x',
        targets: [{ type: 'Company', id: '11111111-2222-4333-8444-555555555555' }],
      }),
    ).rejects.toThrow(/entryType/);
    await expect(recordTimelineEvent(em, { entryType: 'deal.won', title: 'x', targets: [] })).rejects.toThrow(/targets/);
    expect(await server.count('timeline_event', ws.id)).toBe(0);
    expect(await server.count('timeline_link', ws.id)).toBe(0);
  });

  it('loads the latest activities of a whole page of companies and contacts in one statement', async () => {
    const ws = await server.newWorkspace();
    const companies: string[] = [];
    for (const name of ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'])
      companies.push((await ws.ok(ActivitySeedCompanyDocument, { name })).createCompany.company!.id);
    const contacts: string[] = [];
    for (const firstName of ['P1', 'P2', 'P3', 'P4'])
      contacts.push((await ws.ok(ActivitySeedContactDocument, { firstName })).createContact.contact!.id);
    for (const [i, company] of companies.entries()) {
      for (let n = 1; n <= i + 1; n++)
        await logAt(ws, `${i + 1}.${n}`, `2026-01-0${n}T00:00:00.000Z`, [company, contacts[i % contacts.length]!], n % 2 ? 'CALL' : 'NOTE');
    }
    await ws.ok(`mutation($id: ID!) { deleteActivity(id: $id) { userErrors { code } } }`, {
      id: (await ws.ok(TimelineDocument, { targetId: companies[5]!, first: 1 })).timeline.edges[0]!.node.id,
    });

    const statements: string[] = [];
    const countStatements = async <T>(run: () => Promise<T>) => {
      statements.length = 0;
      server.orm.config.set('onQuery', (sql: string) => {
        statements.push(sql);
        return sql;
      });
      try {
        return { result: await run(), count: statements.length };
      } finally {
        server.orm.config.set('onQuery', (sql: string) => sql);
      }
    };
    const small = await countStatements(() => ws.ok(CompaniesWithActivitiesDocument, { first: 2, activities: 3 }));
    const large = await countStatements(() => ws.ok(CompaniesWithActivitiesDocument, { first: 6, activities: 3 }));
    expect(large.count).toBe(small.count);
    expect(statements.filter((s) => s.includes('timeline_link'))).toHaveLength(1);

    const byName = Object.fromEntries(large.result.companies.nodes.map((c) => [c.name, c.activities]));
    expect(byName.C1).toEqual({ hasMore: false, nodes: [{ subject: '1.1', occurredAt: '2026-01-01T00:00:00.000Z' }] });
    expect(byName.C4!.nodes.map((n) => n.subject)).toEqual(['4.4', '4.3', '4.2']);
    expect(byName.C4!.hasMore).toBe(true);
    // C6's newest activity was deleted
    expect(byName.C6!.nodes.map((n) => n.subject)).toEqual(['6.5', '6.4', '6.3']);
    const callsOnly = await ws.ok(CompaniesWithActivitiesDocument, { first: 6, activities: 5, types: ['NOTE'] });
    expect(callsOnly.companies.nodes.find((c) => c.name === 'C4')!.activities.nodes.map((n) => n.subject)).toEqual(['4.4', '4.2']);

    const contactsSmall = await countStatements(() => ws.ok(ContactsWithActivitiesDocument, { first: 1, activities: 5 }));
    const contactsLarge = await countStatements(() => ws.ok(ContactsWithActivitiesDocument, { first: 4, activities: 5 }));
    expect(contactsLarge.count).toBe(contactsSmall.count);
    const perContact = contactsLarge.result.contacts.nodes.map((c) => c.activities.nodes.length).sort();
    expect(perContact).toEqual([1 + 5, 2 + 5, 3, 4].map((n) => Math.min(n, 5)).sort());
  });
});
