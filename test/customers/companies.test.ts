import assert from 'node:assert/strict';
import { CreateCompanyDocument, UpdateCompanyDocument } from '../generated/graphql.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;
let ws: TestWorkspace;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
});
afterAll(() => server.close());

const CREATE = CreateCompanyDocument;
const UPDATE = UpdateCompanyDocument;

describe('companies', () => {
  it('creates a company with normalized domains and money, owned by a member', async () => {
    const owner = `mutation { createTag(input: { name: "Key account" }) { tag { id } userErrors { field } } }`;
    const tag = (await ws.ok(owner)).createTag.tag.id;
    const { users } = await ws.ok(`{ users(first: 5) { nodes { id name } } }`);
    const data: any = await ws.ok(CREATE, {
      input: {
        name: '  Acme Corp ',
        domains: ['https://www.Acme.com/about', 'acme.io'],
        employeeCount: 120,
        annualRevenue: { amount: 1250000000, currency: 'EUR' },
        website: 'acme.com',
        ownerId: users.nodes[0].id,
        tagIds: [tag],
      },
    });
    const company = data.createCompany.company;
    expect(data.createCompany.userErrors).toEqual([]);
    expect(company).toMatchObject({
      name: 'Acme Corp',
      domains: ['acme.com', 'acme.io'],
      primaryDomain: 'acme.com',
      annualRevenue: { amount: 1250000000, currency: 'EUR' },
      website: 'https://acme.com',
      version: 1,
      owner: { name: 'Ada Admin' },
      tags: [{ name: 'Key account' }],
    });
  });

  it('rejects bad input naming the field, and writes nothing', async () => {
    const before = await server.count('company', ws.id);
    const cases: [any, string[]][] = [
      [{ name: '' }, ['name']],
      [{ name: 'X', domains: ['not a domain'] }, ['domains', '0']],
      [{ name: 'X', annualRevenue: { amount: -5, currency: 'EUR' } }, ['annualRevenue', 'amount']],
      [{ name: 'X', annualRevenue: { amount: 5, currency: 'XYZ' } }, ['annualRevenue', 'currency']],
      [{ name: 'x'.repeat(10 * 1024 * 1024) }, ['name']],
      [{ name: 'X', customFields: { nope: 1 } }, ['customFields', 'nope']],
      [{ name: 'X', ownerId: 'Zm9vOmJhcg' }, ['ownerId']],
    ];
    for (const [input, field] of cases) {
      const res = await ws.gql(CREATE, { input });
      expect(res.errors).toBeUndefined();
      expect(res.data!.createCompany.company).toBeNull();
      expect(res.data!.createCompany.userErrors[0]).toMatchObject({ field, code: 'BAD_USER_INPUT' });
    }
    expect(await server.count('company', ws.id)).toBe(before);
  });

  it('updates with optimistic locking: a stale version is a CONFLICT and changes nothing', async () => {
    const company = (await ws.ok(CREATE, { input: { name: 'Globex' } })).createCompany.company!;
    const first = await ws.ok(UPDATE, { input: { id: company.id, version: 1, industry: 'Energy' } });
    expect(first.updateCompany.company).toMatchObject({ industry: 'Energy', version: 2 });
    const stale = await ws.ok(UPDATE, { input: { id: company.id, version: 1, industry: 'Retail' } });
    expect(stale.updateCompany.userErrors).toEqual([expect.objectContaining({ field: ['version'], code: 'CONFLICT' })]);
    const now = await ws.ok(`query($id: ID!) { company(id: $id) { industry version } }`, { id: company.id });
    expect(now.company).toEqual({ industry: 'Energy', version: 2 });
  });

  it('pages with cursors, filters and sorts', async () => {
    const other = await server.newWorkspace();
    for (const [name, employees] of [
      ['Alpha', 10],
      ['Bravo', 30],
      ['Charlie', 20],
      ['Delta', null],
    ] as const) {
      await other.ok(CREATE, { input: { name, employeeCount: employees } });
    }
    const page1 = await other.ok(
      `{ companies(first: 2, orderBy: [{ field: EMPLOYEE_COUNT, direction: DESC }]) { totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(page1.companies.edges.map((e: any) => e.node.name)).toEqual(['Bravo', 'Charlie']);
    expect(page1.companies.totalCount).toBe(4);
    const page2 = await other.ok(
      `query($after: String) { companies(first: 5, after: $after, orderBy: [{ field: EMPLOYEE_COUNT, direction: DESC }]) { nodes { name } pageInfo { hasNextPage hasPreviousPage } } }`,
      { after: page1.companies.pageInfo.endCursor },
    );
    expect(page2.companies.nodes.map((n: any) => n.name)).toEqual(['Alpha', 'Delta']);
    expect(page2.companies.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true });
    const filtered = await other.ok(`{ companies(filter: { employeeCount: { gte: 15 } name: { startsWith: "b" } }) { nodes { name } } }`);
    expect(filtered.companies.nodes).toEqual([{ name: 'Bravo' }]);
  });

  it('soft-deletes, restores and purges', async () => {
    const { company } = (await ws.ok(CREATE, { input: { name: 'Initech' } })).createCompany;
    assert(company, 'createCompany returned no company');
    await ws.ok(`mutation($id: ID!) { deleteCompany(id: $id) { company { deletedAt } } }`, { id: company.id });
    const live = await ws.ok(`{ companies(filter: { name: { eq: "Initech" } }) { totalCount } }`);
    expect(live.companies.totalCount).toBe(0);
    const trash = await ws.ok(`{ companies(filter: { name: { eq: "Initech" }, deleted: true }) { totalCount } }`);
    expect(trash.companies.totalCount).toBe(1);
    await ws.ok(`mutation($id: ID!) { restoreCompany(id: $id) { company { deletedAt } } }`, { id: company.id });
    expect((await ws.ok(`{ companies(filter: { name: { eq: "Initech" } }) { totalCount } }`)).companies.totalCount).toBe(1);
    const purgeLive = await ws.ok(`mutation($id: ID!) { purgeCompany(id: $id) { deletedId userErrors { code } } }`, { id: company.id });
    expect(purgeLive.purgeCompany.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    await ws.ok(`mutation($id: ID!) { deleteCompany(id: $id) { company { id } } }`, { id: company.id });
    const purged = await ws.ok(`mutation($id: ID!) { purgeCompany(id: $id) { deletedId } }`, { id: company.id });
    expect(purged.purgeCompany.deletedId).toBe(company.id);
    expect((await ws.ok(`query($id: ID!) { node(id: $id) { id } }`, { id: company.id })).node).toBeNull();
  });

  it("never shows another workspace's company", async () => {
    const { company } = (await ws.ok(CREATE, { input: { name: 'Secret Co' } })).createCompany;
    assert(company, 'createCompany returned no company');
    const intruder = await server.newWorkspace();
    expect(await intruder.ok(`query($id: ID!) { node(id: $id) { id } company(id: $id) { id } }`, { id: company.id })).toEqual({
      node: null,
      company: null,
    });
    const upd = await intruder.ok(UPDATE, { input: { id: company.id, version: 1, name: 'Pwned' } });
    expect(upd.updateCompany.userErrors[0]?.code).toBe('NOT_FOUND');
  });
});
