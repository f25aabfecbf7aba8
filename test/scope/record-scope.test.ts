import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { Team, TeamMember } from '../../src/core/identity/membership.entity.js';
import { CustomRole } from '../../src/core/roles/role.entity.js';
import { Scope } from '../../src/permissions/permission-registry.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';

/**
 * Record scope (own / team / all) and field allowlists, enforced inside the queries: lists, counts, node(id:),
 * search, nested relations, timelines, mutations and CSV export.
 */

type Member = { id: string; email: string; headers?: Record<string, string> };

/** Request headers acting as a member (the one place that knows how tests authenticate). */
function asMember(ws: TestWorkspace, member: Member): Record<string, string> {
  return member.headers ?? { 'x-workspace': ws.slug, 'x-user': member.email };
}

let server: TestServer;
let ws: TestWorkspace;
let sales1: Member;
let sales2: Member;
let sales3: Member;
let support: Member;
let exporter: Member;
const ids: Record<string, string> = {};

const as = (member: Member) => ({
  gql: (query: string, variables?: Record<string, unknown>) => server.gql(query, variables, asMember(ws, member)),
  ok: async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gql(query, variables, asMember(ws, member));
    if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
    return res.data as any;
  },
});

const csvExport = (member: Member, file: string, filter?: unknown) =>
  server.app.http.inject({
    method: 'GET',
    url: `/exports/${file}${filter ? `?filter=${encodeURIComponent(JSON.stringify(filter))}` : ''}`,
    headers: asMember(ws, member),
  });

async function createCompany(input: Record<string, unknown>) {
  const data = await ws.ok(
    `mutation($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } userErrors { message } } }`,
    { input },
  );
  return data.createCompany.company.id as string;
}

async function createContact(input: Record<string, unknown>) {
  const data = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { message } } }`,
    { input },
  );
  return data.createContact.contact.id as string;
}

async function logActivity(input: Record<string, unknown>) {
  const data = await ws.ok(
    `mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id } userErrors { message } } }`,
    { input },
  );
  return data.logActivity.activity.id as string;
}

const user = (m: Member) => toGlobalId('User', m.id);
const uuidOf = (globalId: string) => parseGlobalId(globalId)!.id;
const names = (conn: { nodes: { name: string }[] }) => conn.nodes.map((n) => n.name).sort();

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
  sales1 = await ws.addMember('Sam Sales', MembershipRole.SALES);
  sales2 = await ws.addMember('Tess Teammate', MembershipRole.SALES);
  sales3 = await ws.addMember('Otto Other', MembershipRole.SALES);
  support = await ws.addMember('Sue Support', MembershipRole.SUPPORT);

  // sales1 and sales2 share a team; sales3 is in another one
  const em = server.orm.em.fork();
  const team = em.create(Team, { workspaceId: ws.id, name: 'North' });
  const other = em.create(Team, { workspaceId: ws.id, name: 'South' });
  em.create(TeamMember, { workspaceId: ws.id, teamId: team.id, userId: sales1.id });
  em.create(TeamMember, { workspaceId: ws.id, teamId: team.id, userId: sales2.id });
  em.create(TeamMember, { workspaceId: ws.id, teamId: other.id, userId: sales3.id });
  // a custom role that exports what its teams own, without phone numbers and revenue
  const role = em.create(CustomRole, {
    workspaceId: ws.id,
    name: `Team exporter ${randomUUID().slice(0, 4)}`,
    grants: { 'contact:read': Scope.TEAM, 'company:read': Scope.TEAM, 'activity:read': Scope.TEAM, 'export:run': Scope.ALL },
    fieldAllowlist: {
      Company: ['employeeCount', 'address', 'customFields'],
      Contact: ['emails', 'primaryEmail', 'address', 'customFields'],
    },
  });
  await em.flush();
  exporter = await ws.addMember('Ezra Exporter', role.id as never);
  em.create(TeamMember, { workspaceId: ws.id, teamId: team.id, userId: exporter.id });
  await em.flush();

  ids.cOwn = await createCompany({ name: 'Acme Own', ownerId: user(sales1), phones: [{ number: '+1 555 0100' }] });
  ids.cTeam = await createCompany({ name: 'Beta Team', ownerId: user(sales2) });
  ids.cOther = await createCompany({ name: 'Gamma Other', ownerId: user(sales3) });
  for (const [key, amount] of [
    ['cOwn', 5_000_000],
    ['cTeam', 1_000],
    ['cOther', 9_000_000],
  ] as const) {
    await server.orm.em
      .getConnection()
      .execute(`update company set annual_revenue_amount = ?, annual_revenue_currency = 'EUR' where id = ?`, [amount, uuidOf(ids[key]!)]);
  }
  ids.cNobody = await createCompany({ name: 'Delta Nobody', ownerId: null });
  ids.kOwn = await createContact({
    firstName: 'Olga',
    lastName: 'Own',
    ownerId: user(sales1),
    companyId: ids.cOwn,
    emails: [{ email: 'olga@acme.test' }],
    phones: [{ number: '+1 555 0199' }],
  });
  ids.kOther = await createContact({ firstName: 'Xavier', lastName: 'Other', ownerId: user(sales3), companyId: ids.cOwn });
  ids.kTeam = await createContact({ firstName: 'Tina', lastName: 'Team', ownerId: user(sales2), companyId: ids.cOther });
  ids.aOwn = await logActivity({ type: 'CALL', subject: 'Own call', targetIds: [ids.cOwn, ids.kOwn], assigneeId: user(sales1) });
  ids.aOther = await logActivity({ type: 'NOTE', subject: 'Secret note', targetIds: [ids.cOwn, ids.cOther], assigneeId: user(sales3) });
}, 180_000);

afterAll(async () => {
  await server?.close();
});

describe('record scope', () => {
  it('lists and counts only own and team records for SALES', async () => {
    const data = await as(sales1).ok(`{
      companies(first: 50) { totalCount nodes { name } }
      contacts(first: 50) { totalCount nodes { name } }
      activities(first: 50) { totalCount nodes { subject } }
    }`);
    expect(names(data.companies)).toEqual(['Acme Own', 'Beta Team']);
    expect(data.companies.totalCount).toBe(2);
    expect(names(data.contacts)).toEqual(['Olga Own', 'Tina Team']);
    expect(data.contacts.totalCount).toBe(2);
    expect(data.activities.nodes.map((a: { subject: string }) => a.subject)).toEqual(['Own call']);
    expect(data.activities.totalCount).toBe(1);
    // the admin sees everything
    const all = await ws.ok(`{ companies(first: 50) { totalCount } contacts(first: 50) { totalCount } activities { totalCount } }`);
    expect([all.companies.totalCount, all.contacts.totalCount, all.activities.totalCount]).toEqual([4, 3, 2]);
  });

  it('resolves out-of-scope ids to null through node, nodes and the by-id queries', async () => {
    const data = await as(sales1).ok(
      `query($other: ID!, $own: ID!, $kOther: ID!, $aOther: ID!) {
        node(id: $other) { id }
        nodes(ids: [$own, $other, $kOther]) { id }
        company(id: $other) { id }
        contact(id: $kOther) { id }
        activity(id: $aOther) { id }
      }`,
      { other: ids.cOther, own: ids.cOwn, kOther: ids.kOther, aOther: ids.aOther },
    );
    expect(data.node).toBeNull();
    expect(data.nodes).toEqual([{ id: ids.cOwn }, null, null]);
    expect(data.company).toBeNull();
    expect(data.contact).toBeNull();
    expect(data.activity).toBeNull();
    // a type the caller may not read at all: null, whatever the id
    const em = server.orm.em.fork();
    const role = em.create(CustomRole, {
      workspaceId: ws.id,
      name: `Contacts only ${randomUUID().slice(0, 4)}`,
      grants: { 'contact:read': Scope.ALL },
    });
    await em.flush();
    const stranger = await ws.addMember('Rita Contacts', role.id as never);
    const seen = await as(stranger).ok(`query($c: ID!, $k: ID!) { company: node(id: $c) { id } contact: node(id: $k) { id } }`, {
      c: ids.cNobody,
      k: ids.kOther,
    });
    expect(seen).toEqual({ company: null, contact: { id: ids.kOther } });
  });

  it('scopes nested relations: Company.contacts, Contact.company, activities and timelines', async () => {
    const data = await as(sales1).ok(
      `query($own: ID!, $team: ID!, $other: ID!, $aOwn: ID!) {
        own: company(id: $own) {
          contacts { totalCount nodes { name } }
          activities { nodes { subject } }
          timeline { totalCount edges { node { ... on Activity { subject } } } }
        }
        team: contact(id: $team) { name company { name } }
        otherTimeline: timeline(targetId: $other) { totalCount edges { cursor } }
        activity(id: $aOwn) { targets { targetType target { id } } }
      }`,
      { own: ids.cOwn, team: ids.kTeam, other: ids.cOther, aOwn: ids.aOwn },
    );
    expect(data.own.contacts.totalCount).toBe(1);
    expect(names(data.own.contacts)).toEqual(['Olga Own']);
    expect(data.own.activities.nodes).toEqual([{ subject: 'Own call' }]);
    expect(data.own.timeline.totalCount).toBe(1);
    expect(data.own.timeline.edges.map((e: any) => e.node.subject)).toEqual(['Own call']);
    // the teammate's contact is visible, its company (owned outside the team) is not
    expect(data.team).toEqual({ name: 'Tina Team', company: null });
    expect(data.otherTimeline).toEqual({ totalCount: 0, edges: [] });
    expect(data.activity.targets.map((t: any) => t.target.id).sort()).toEqual([ids.cOwn, ids.kOwn].sort());
    // the admin sees both activities on the company
    const admin = await ws.ok(`query($own: ID!) { company(id: $own) { contacts { totalCount } timeline { totalCount } } }`, {
      own: ids.cOwn,
    });
    expect(admin.company).toEqual({ contacts: { totalCount: 2 }, timeline: { totalCount: 2 } });
  });

  it('searches only records in scope', async () => {
    const gamma = await as(sales1).ok(`{ search(query: "Gamma") { node { id } } }`);
    expect(gamma.search).toEqual([]);
    const acme = await as(sales1).ok(`{ search(query: "Acme") { node { id } } }`);
    expect(acme.search.map((h: any) => h.node.id)).toContain(ids.cOwn);
    expect((await ws.ok(`{ search(query: "Gamma") { node { id } } }`)).search.map((h: any) => h.node.id)).toEqual([ids.cOther]);
    const dupes = await as(sales1).ok(`{ duplicateCompanies { records { id } } }`);
    expect(dupes.duplicateCompanies).toEqual([]);
  });

  it('treats records outside the update scope as not found and changes nothing', async () => {
    const before = await ws.ok(`query($id: ID!) { contact(id: $id) { firstName version } }`, { id: ids.kTeam });
    const res = await as(sales1).ok(
      `mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { id } userErrors { field code } } }`,
      { input: { id: ids.kTeam, version: before.contact.version, firstName: 'Hacked' } },
    );
    expect(res.updateContact).toEqual({ contact: null, userErrors: [{ field: ['id'], code: 'NOT_FOUND' }] });
    expect((await ws.ok(`query($id: ID!) { contact(id: $id) { firstName version } }`, { id: ids.kTeam })).contact).toEqual(before.contact);

    const del = await as(sales1).ok(`mutation($id: ID!) { deleteCompany(id: $id) { company { id } userErrors { code } } }`, {
      id: ids.cTeam,
    });
    expect(del.deleteCompany).toEqual({ company: null, userErrors: [{ code: 'NOT_FOUND' }] });
    const merge = await as(sales1).ok(
      `mutation($input: MergeInput!) { mergeCompanies(input: $input) { company { id } userErrors { code } } }`,
      {
        input: { targetId: ids.cOwn, sourceIds: [ids.cTeam] },
      },
    );
    expect(merge.mergeCompanies.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    expect((await ws.ok(`query($id: ID!) { company(id: $id) { deletedAt } }`, { id: ids.cTeam })).company.deletedAt).toBeNull();

    // the own record can be changed
    const { company } = await as(sales1).ok(`query($id: ID!) { company(id: $id) { version } }`, { id: ids.cOwn });
    const own = await as(sales1).ok(
      `mutation($input: UpdateCompanyInput!) { updateCompany(input: $input) { company { name } userErrors { code } } }`,
      { input: { id: ids.cOwn, version: company.version, name: 'Acme Own' } },
    );
    expect(own.updateCompany.userErrors).toEqual([]);
  });

  it('makes the caller the owner of what they create, and refuses owners outside their update scope', async () => {
    const created = await as(sales1).ok(
      `mutation { createContact(input: { firstName: "Newbie" }) { contact { owner { id } } userErrors { code } } }`,
    );
    expect(created.createContact.contact.owner.id).toBe(user(sales1));
    const count = await server.count('contact', ws.id);
    const refused = await as(sales1).ok(
      `mutation($owner: ID!) { createContact(input: { firstName: "Gift", ownerId: $owner }) { contact { id } userErrors { field code } } }`,
      { owner: user(sales2) },
    );
    expect(refused.createContact).toEqual({ contact: null, userErrors: [{ field: ['ownerId'], code: 'FORBIDDEN' }] });
    expect(await server.count('contact', ws.id)).toBe(count);
  });
});

describe('field allowlists', () => {
  it('refuses filters and sorts on hidden fields (FORBIDDEN) before running anything', async () => {
    const byFilter = await as(support).gql(`{ companies(filter: { annualRevenue: { gt: 100 } }) { totalCount } }`);
    expect(byFilter.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(byFilter.data).toBeNull();
    const bySort = await as(support).gql(`{ companies(orderBy: [{ field: ANNUAL_REVENUE, direction: DESC }]) { nodes { name } } }`);
    expect(bySort.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // allowed fields still filter and sort
    const fine = await as(support).ok(`{ companies(filter: { name: { startsWith: "Acme" } }, orderBy: [{ field: NAME }]) { totalCount } }`);
    expect(fine.companies.totalCount).toBe(1);
    // the admin may
    expect((await ws.ok(`{ companies(filter: { annualRevenue: { gt: 100 } }) { totalCount } }`)).companies.totalCount).toBe(3);
  });

  it('does not match phone numbers in search or free-text filters when phones are hidden', async () => {
    expect((await ws.ok(`{ search(query: "555 0100") { node { id } } }`)).search.map((h: any) => h.node.id)).toEqual([ids.cOwn]);
    expect((await as(support).ok(`{ search(query: "555 0100") { node { id } } }`)).search).toEqual([]);
    expect((await as(support).ok(`{ search(query: "5550199") { node { id } } }`)).search).toEqual([]);
    expect((await as(support).ok(`{ contacts(filter: { query: "5550199" }) { totalCount } }`)).contacts.totalCount).toBe(0);
    expect((await ws.ok(`{ contacts(filter: { query: "5550199" }) { totalCount } }`)).contacts.totalCount).toBe(1);
    // names still match
    expect((await as(support).ok(`{ search(query: "Olga") { node { id } } }`)).search.map((h: any) => h.node.id)).toEqual([ids.kOwn]);
  });

  it('keeps hidden protected fields nullable in the schema', async () => {
    const res = await as(support).gql(`query($id: ID!) { contact(id: $id) { name phones { number } emails { email } } }`, { id: ids.kOwn });
    // with the shield rule the hidden field is null with a FORBIDDEN error; the record itself stays
    expect(res.data?.contact?.name).toBe('Olga Own');
  });
});

describe('CSV export', () => {
  it('needs export:run and the read permission', async () => {
    const res = await csvExport(sales1, 'companies.csv');
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('FORBIDDEN');
  });

  it('exports only records in scope, without hidden columns, and refuses filters on hidden fields', async () => {
    const res = await csvExport(exporter, 'companies.csv');
    expect(res.statusCode).toBe(200);
    const [header, ...lines] = res.body.trim().split('\n');
    expect(header).not.toMatch(/annualRevenue|phones/);
    expect(header).toMatch(/employeeCount/);
    expect(lines.map((l) => l.split(',')[1]).sort()).toEqual(['Acme Own', 'Beta Team']);

    const contacts = await csvExport(exporter, 'contacts.csv');
    const [contactHeader, ...contactLines] = contacts.body.trim().split('\n');
    expect(contactHeader).not.toMatch(/phones/);
    expect(contactHeader).toMatch(/email/);
    // own and team contacts only (Olga, Tina and the contact Sam created above), never Xavier's
    expect(contactLines).toHaveLength(3);
    expect(contacts.body).toMatch(/Olga/);
    expect(contacts.body).toMatch(/Tina/);
    expect(contacts.body).not.toMatch(/Xavier/);
    // Tina's company belongs to another team: its name is not exported
    expect(contacts.body).not.toMatch(/Gamma/);

    const probe = await csvExport(exporter, 'companies.csv', { annualRevenue: { gt: 0 } });
    expect(probe.statusCode).toBe(403);
    // the admin gets every record and column
    const admin = await csvExport({ id: ws.userId, email: ws.userEmail, headers: ws.headers }, 'companies.csv');
    expect(admin.body.split('\n')[0]).toMatch(/annualRevenue/);
    expect(admin.body.trim().split('\n')).toHaveLength(5);
  });
});

describe('CSV import', () => {
  it('needs import:run plus create and update on the type', async () => {
    const res = await server.app.http.inject({
      method: 'POST',
      url: '/imports/contacts',
      headers: { ...asMember(ws, sales1), 'content-type': 'text/csv' },
      payload: 'firstName,email\nIvy,ivy@x.test\n',
    });
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('FORBIDDEN');
    expect((await ws.ok(`{ contacts(filter: { email: { eq: "ivy@x.test" } }) { totalCount } }`)).contacts.totalCount).toBe(0);
  });

  it('creates records owned by the importer and does not update records outside their update scope', async () => {
    const manager = await ws.addMember('Mia Manager', MembershipRole.MANAGER);
    const res = await server.app.http.inject({
      method: 'POST',
      url: '/imports/contacts',
      headers: { ...asMember(ws, manager), 'content-type': 'text/csv' },
      payload: 'firstName,email\nOverwritten,olga@acme.test\nNina,nina@x.test\n',
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ createdCount: 1, updatedCount: 0, failedCount: 1 });
    const data = await ws.ok(
      `query($id: ID!) { olga: contact(id: $id) { firstName } nina: contacts(filter: { email: { eq: "nina@x.test" } }) { nodes { owner { id } } } }`,
      { id: ids.kOwn },
    );
    expect(data.olga.firstName).toBe('Olga');
    expect(data.nina.nodes).toEqual([{ owner: { id: user(manager) } }]);
  });
});
