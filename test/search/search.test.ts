import { SearchDocument, SearchSeedCompanyDocument, SearchSeedContactDocument } from '../generated/graphql.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;
let ws: TestWorkspace;
const ids: Record<string, string> = {};

async function company(ws: TestWorkspace, input: Record<string, unknown>) {
  const res = await ws.ok(SearchSeedCompanyDocument, { input: input as never });
  expect(res.createCompany.userErrors).toEqual([]);
  return res.createCompany.company!.id;
}
async function contact(ws: TestWorkspace, input: Record<string, unknown>) {
  const res = await ws.ok(SearchSeedContactDocument, { input: input as never });
  expect(res.createContact.userErrors).toEqual([]);
  return res.createContact.contact!.id;
}
const names = (hits: { node: any }[]) => hits.map((h) => h.node.name ?? [h.node.firstName, h.node.lastName].join(' '));

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
  ids.acme = await company(ws, { name: 'Acme Corporation', domains: ['acme.com'], phones: [{ number: '+1 (555) 010-7788' }] });
  ids.acmeWidgets = await company(ws, { name: 'Widgets for Acme', domains: ['widgets.io'] });
  ids.macmillan = await company(ws, { name: 'Macmillan Publishers', domains: ['macmillan.example'] });
  ids.zoe = await contact(ws, {
    firstName: 'Zoë',
    lastName: 'Müller',
    emails: [{ email: 'zoe.mueller@example.org' }],
    phones: [{ number: '+49 30 1234 5678' }],
  });
  ids.jonathan = await contact(ws, { firstName: 'Jonathan', lastName: 'Smithson', emails: [{ email: 'jon@globex.test' }] });
  ids.jonas = await contact(ws, { firstName: 'Jonas', lastName: 'Berg' });
});
afterAll(() => server.close());

describe('search', () => {
  it('ranks whole-word and prefix matches above substring and fuzzy ones', async () => {
    const { search } = await ws.ok(SearchDocument, { query: 'acme' });
    expect(names(search).slice(0, 2)).toEqual(['Acme Corporation', 'Widgets for Acme']);
    // "macmillan" contains "acm" but not the word acme; it may appear, but only after both
    const order = names(search);
    if (order.includes('Macmillan Publishers')) expect(order.indexOf('Macmillan Publishers')).toBeGreaterThan(1);
    expect(search[0]).toMatchObject({ matchedOn: 'name', node: { __typename: 'Company', id: ids.acme } });
    expect(search[0]!.score).toBeGreaterThan(search.at(-1)!.score - 1e-9);
  });

  it('matches prefixes of words, names and emails, accent-insensitively', async () => {
    const prefix = await ws.ok(SearchDocument, { query: 'Jon' });
    expect(names(prefix.search).sort()).toEqual(['Jonas Berg', 'Jonathan Smithson']);
    const accent = await ws.ok(SearchDocument, { query: 'muller' });
    expect(accent.search[0]).toMatchObject({ node: { id: ids.zoe, firstName: 'Zoë' }, matchedOn: 'name' });
    const email = await ws.ok(SearchDocument, { query: 'zoe.mueller@' });
    expect(email.search[0]).toMatchObject({ node: { id: ids.zoe }, matchedOn: 'email' });
    const domain = await ws.ok(SearchDocument, { query: 'widgets.io' });
    expect(domain.search[0]).toMatchObject({ node: { id: ids.acmeWidgets }, matchedOn: 'domain' });
  });

  it('tolerates typos', async () => {
    const { search } = await ws.ok(SearchDocument, { query: 'Jonathon Smitson' });
    expect(search[0]).toMatchObject({ node: { id: ids.jonathan } });
    const company = await ws.ok(SearchDocument, { query: 'Macmilan' });
    expect(company.search[0]).toMatchObject({ node: { id: ids.macmillan }, matchedOn: 'name' });
  });

  it('matches phone numbers by their digits, whatever the formatting', async () => {
    for (const query of ['555 010', '(555) 010-7788', '+15550107788']) {
      const { search } = await ws.ok(SearchDocument, { query });
      expect(search.map((h: any) => h.node.id)).toEqual([ids.acme]);
      expect(search[0]?.matchedOn).toBe('phone');
    }
    const contact = await ws.ok(SearchDocument, { query: '30 1234-56' });
    expect(contact.search[0]).toMatchObject({ node: { id: ids.zoe }, matchedOn: 'phone' });
  });

  it('filters by type and limits the hits', async () => {
    const onlyContacts = await ws.ok(SearchDocument, { query: 'jon', types: ['CONTACT'] });
    expect(onlyContacts.search.every((h: any) => h.node.__typename === 'Contact')).toBe(true);
    const onlyCompanies = await ws.ok(SearchDocument, { query: 'acme', types: ['COMPANY'], first: 1 });
    expect(names(onlyCompanies.search)).toEqual(['Acme Corporation']);
  });

  it('never returns records of another workspace or deleted ones', async () => {
    const other = await server.newWorkspace();
    await company(other, { name: 'Acme Elsewhere' });
    const mine = await ws.ok(SearchDocument, { query: 'acme elsewhere' });
    expect(names(mine.search)).not.toContain('Acme Elsewhere');
    const theirs = await other.ok(SearchDocument, { query: 'acme' });
    expect(names(theirs.search)).toEqual(['Acme Elsewhere']);

    const doomed = await company(ws, { name: 'Vanishing Ventures' });
    expect(names((await ws.ok(SearchDocument, { query: 'vanishing' })).search)).toEqual(['Vanishing Ventures']);
    await ws.ok(`mutation($id: ID!) { deleteCompany(id: $id) { userErrors { field } } }`, { id: doomed });
    expect((await ws.ok(SearchDocument, { query: 'vanishing' })).search).toEqual([]);
  });

  it('rejects empty and over-long queries naming the argument', async () => {
    for (const query of ['', '   ', 'x'.repeat(201)]) {
      const res = await ws.gql(SearchDocument, { query });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['query'] });
    }
  });

  it('needs a workspace', async () => {
    const res = await server.gql(SearchDocument, { query: 'acme' });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
