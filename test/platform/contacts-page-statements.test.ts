import { databaseUrl, startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

/** The benchmark's list query: contacts with company, owner and their latest five activities. */
const PAGE = `query($n: Int) { contacts(first: $n) { nodes { id name primaryEmail company { name } owner { name } activities(first: 5) { nodes { subject occurredAt } } } } }`;

let server: TestServer;
let ws: TestWorkspace;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
  const owner = await ws.addMember('Olga Owner');
  const ownerId = Buffer.from(`User:${owner.id}`).toString('base64url');
  for (let i = 0; i < 40; i++) {
    const company = await ws.ok(`mutation($n: String!) { createCompany(input: { name: $n }) { company { id } } }`, { n: `Company ${i}` });
    const contact = await ws.ok(
      `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { message } } }`,
      {
        input: { firstName: `Person${i}`, emails: [{ email: `p${i}@example.com` }], companyId: company.createCompany.company.id, ownerId },
      },
    );
    const contactId = contact.createContact.contact.id;
    for (let a = 0; a < 2; a++) {
      await ws.ok(`mutation($input: LogActivityInput!) { logActivity(input: $input) { userErrors { message } } }`, {
        input: { type: 'NOTE', subject: `Note ${a} for ${i}`, targetIds: [contactId] },
      });
    }
  }
});
afterAll(() => server.close());

async function statementsFor(n: number): Promise<number> {
  let count = 0;
  server.orm.config.set('onQuery', (sql: string) => {
    count++;
    if (process.env.SHOW_SQL) console.log(sql.slice(0, 160));
    return sql;
  });
  try {
    const data = await ws.ok(PAGE, { n });
    expect(data.contacts.nodes).toHaveLength(n);
    for (const contact of data.contacts.nodes) {
      expect(contact.company.name).toMatch(/^Company \d+$/);
      expect(contact.owner.name).toBe('Olga Owner');
      expect(contact.activities.nodes).toHaveLength(2);
    }
  } finally {
    server.orm.config.set('onQuery', (sql: string) => sql);
  }
  return count;
}

describe('contacts page with relations', () => {
  it('runs the same number of SQL statements for 5 and for 40 contacts (no N+1)', async () => {
    const five = await statementsFor(5);
    const forty = await statementsFor(40);
    expect(five).toBeGreaterThan(0);
    expect(forty).toBe(five);
    // one each: the caller (session, membership, role, teams), the page, companies, owners, latest activities;
    // on PostgreSQL one more: the request's transaction sets the workspace for row-level security
    expect(forty).toBeLessThanOrEqual(databaseUrl() ? 6 : 5);
  });
});

describe('latest activities of a list', () => {
  it('read only the columns a selection needs, through fragments too, with the same values', async () => {
    const narrow = await ws.ok(
      `{ contacts(first: 3, orderBy: [{ field: FIRST_NAME, direction: ASC }]) { nodes { activities(first: 1) { nodes { ...A } } } } } fragment A on Activity { subject }`,
    );
    const wide = await ws.ok(
      `{ contacts(first: 3, orderBy: [{ field: FIRST_NAME, direction: ASC }]) { nodes { activities(first: 1) { nodes { subject type isOverdue body version createdAt } } } } }`,
    );
    const subjects = (data: any) => data.contacts.nodes.map((c: any) => c.activities.nodes[0].subject);
    expect(subjects(narrow)).toEqual(subjects(wide));
    expect(subjects(narrow)[0]).toMatch(/^Note \d for 0$/);
    expect(wide.contacts.nodes[0].activities.nodes[0]).toMatchObject({ type: 'NOTE', isOverdue: false, body: null, version: 1 });
  });
});
