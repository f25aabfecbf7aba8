import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

/** Connections nested in lists (a company's contacts and timeline, an activity's comments) are batched per page. */
let server: TestServer;
let ws: TestWorkspace;

const COMPANIES = `query($n: Int) {
  companies(first: $n, orderBy: [{ field: NAME, direction: ASC }]) {
    nodes {
      name
      contacts(first: 2, orderBy: [{ field: FIRST_NAME, direction: ASC }]) { totalCount pageInfo { hasNextPage } nodes { firstName } }
      timeline(first: 2) { totalCount edges { node { entryType ... on Activity { subject comments(first: 1) { totalCount nodes { body } } } } } }
    }
  }
}`;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
  for (let i = 0; i < 6; i++) {
    const company = (await ws.ok(`mutation($n: String!) { createCompany(input: { name: $n }) { company { id } } }`, { n: `Co ${i}` }))
      .createCompany.company.id;
    // company i has i contacts and i activities, each activity with i comments
    for (let j = 0; j < i; j++) {
      await ws.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } } }`, {
        input: { firstName: `P${i}-${j}`, companyId: company },
      });
      const activity = (
        await ws.ok(`mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id } userErrors { message } } }`, {
          input: {
            type: 'NOTE',
            subject: `N${i}-${j}`,
            occurredAt: new Date(Date.UTC(2026, 0, 1 + j)).toISOString(),
            targetIds: [company],
          },
        })
      ).logActivity.activity.id;
      for (let k = 0; k < i; k++) {
        await ws.ok(`mutation($input: AddCommentInput!) { addComment(input: $input) { userErrors { message } } }`, {
          input: { activityId: activity, body: `C${i}-${j}-${k}` },
        });
      }
    }
  }
});
afterAll(() => server.close());

async function run(n: number) {
  let statements = 0;
  server.orm.config.set('onQuery', (sql: string) => {
    statements++;
    return sql;
  });
  try {
    return { data: await ws.ok(COMPANIES, { n }), statements };
  } finally {
    server.orm.config.set('onQuery', (sql: string) => sql);
  }
}

describe('nested connections', () => {
  it('give each parent its own page, cursor state and count', async () => {
    const { data } = await run(6);
    const byName = Object.fromEntries(data.companies.nodes.map((c: any) => [c.name, c]));
    expect(byName['Co 0'].contacts).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false }, nodes: [] });
    expect(byName['Co 1'].contacts).toEqual({ totalCount: 1, pageInfo: { hasNextPage: false }, nodes: [{ firstName: 'P1-0' }] });
    expect(byName['Co 4'].contacts).toEqual({
      totalCount: 4,
      pageInfo: { hasNextPage: true },
      nodes: [{ firstName: 'P4-0' }, { firstName: 'P4-1' }],
    });
    const timeline = byName['Co 3'].timeline;
    expect(timeline.totalCount).toBe(3);
    expect(timeline.edges.map((e: any) => e.node.subject)).toEqual(['N3-2', 'N3-1']);
    expect(timeline.edges[0].node.comments).toEqual({ totalCount: 3, nodes: [{ body: 'C3-2-0' }] });
  });

  it('cost the same number of statements for 2 and for 6 parents', async () => {
    const two = await run(2);
    const six = await run(6);
    expect(six.data.companies.nodes).toHaveLength(6);
    expect(six.statements).toBe(two.statements);
  });
});
