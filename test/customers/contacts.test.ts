import { randomUUID } from 'node:crypto';
import {
  CompanyContactsDocument,
  CreateCompanyDocument,
  CreateContactDocument,
  DeleteContactDocument,
  GetContactDocument,
  ListContactsDocument,
  PurgeContactDocument,
  RestoreContactDocument,
  UpdateContactDocument,
} from '../generated/graphql.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { CustomFieldDefinition, CustomFieldType } from '../../src/core/custom-fields/custom-field-definition.entity.js';
import { toGlobalId } from '../../src/graphql/global-id.js';

let server: TestServer;
let ws: TestWorkspace;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
});
afterAll(() => server.close());

const CREATE = CreateContactDocument;
const UPDATE = UpdateContactDocument;
const LIST = ListContactsDocument;

async function createTag(w: TestWorkspace, name: string): Promise<string> {
  const res = await w.ok(`mutation($name: String!) { createTag(input: { name: $name }) { tag { id } userErrors { field } } }`, { name });
  return res.createTag.tag.id;
}

async function createCompany(w: TestWorkspace, name: string): Promise<string> {
  const res = await w.ok(CreateCompanyDocument, { input: { name } });
  return res.createCompany.company!.id;
}

async function createContact(w: TestWorkspace, input: Record<string, unknown>) {
  const res = await w.ok(CREATE, { input: input as any });
  expect(res.createContact.userErrors).toEqual([]);
  return res.createContact.contact!;
}

async function defineCustomField(w: TestWorkspace, key: string, type: CustomFieldType, extra: Partial<CustomFieldDefinition> = {}) {
  const em = server.orm.em.fork();
  em.create(CustomFieldDefinition, { workspaceId: w.id, objectType: 'Contact', key, label: key, type, ...extra } as CustomFieldDefinition);
  await em.flush();
}

const ids = (conn: { nodes: { name: string }[] }) => conn.nodes.map((n) => n.name);

describe('contacts', () => {
  it('creates a contact with normalized emails, company, owner, tags and consent', async () => {
    const tag = await createTag(ws, 'VIP');
    const companyId = await createCompany(ws, 'Acme');
    const member = await ws.addMember('Sam Sales');
    const contact = await createContact(ws, {
      firstName: ' Grace ',
      lastName: 'Hopper',
      emails: [
        { email: 'grace@navy.mil', label: 'work' },
        { email: ' Grace.Hopper@Example.COM ', primary: true },
      ],
      phones: [{ number: '+1 555 123 4567' }],
      jobTitle: 'Rear Admiral',
      companyId,
      ownerId: toGlobalId('User', member.id),
      tagIds: [tag],
      lifecycleStage: 'CUSTOMER',
      marketingConsent: 'GRANTED',
      doNotCall: true,
      address: { city: 'Arlington', country: 'us' },
    });
    expect(contact).toMatchObject({
      firstName: 'Grace',
      lastName: 'Hopper',
      name: 'Grace Hopper',
      emails: [
        { email: 'grace@navy.mil', label: 'work', primary: false },
        { email: 'grace.hopper@example.com', label: null, primary: true },
      ],
      primaryEmail: 'grace.hopper@example.com',
      phones: [{ number: '+1 555 123 4567', primary: true }],
      company: { id: companyId, name: 'Acme' },
      owner: { name: 'Sam Sales' },
      tags: [{ name: 'VIP' }],
      lifecycleStage: 'CUSTOMER',
      marketingConsent: 'GRANTED',
      doNotContact: false,
      doNotCall: true,
      customFields: {},
      version: 1,
      deletedAt: null,
    });
    expect(contact.consentUpdatedAt).not.toBeNull();
    const fetched = await ws.ok(GetContactDocument, { id: contact.id });
    expect(fetched.contact).toEqual(contact);
    const viaNode = await ws.ok(`query($id: ID!) { node(id: $id) { ... on Contact { name } } }`, { id: contact.id });
    expect(viaNode.node).toEqual({ name: 'Grace Hopper' });
  });

  it('names a contact by email when it has no name, and defaults the stage', async () => {
    const contact = await createContact(ws, { emails: [{ email: 'anon@example.org' }] });
    expect(contact).toMatchObject({
      name: 'anon@example.org',
      firstName: null,
      lifecycleStage: 'LEAD',
      marketingConsent: 'UNKNOWN',
      consentUpdatedAt: null,
    });
  });

  it('returns the first result when a create is repeated with the same idempotency key', async () => {
    const before = await server.count('contact', ws.id);
    const first = await createContact(ws, { firstName: 'Idem', idempotencyKey: 'k-1' });
    const again = await createContact(ws, { firstName: 'Idem', idempotencyKey: 'k-1' });
    expect(again.id).toBe(first.id);
    expect(await server.count('contact', ws.id)).toBe(before + 1);
  });

  it('rejects bad input naming the field, and writes nothing', async () => {
    await defineCustomField(ws, 'rating', CustomFieldType.NUMBER);
    const foreign = await server.newWorkspace();
    const foreignCompany = await createCompany(foreign, 'Foreign Inc');
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ firstName: 'X', emails: [{ email: 'not-an-email' }], idempotencyKey: 'rejected-1' }, ['emails', '0', 'email'], 'BAD_USER_INPUT'],
      [{ firstName: 'X', emails: [{ email: 'ok@example.com' }, { email: 'bad@' }] }, ['emails', '1', 'email'], 'BAD_USER_INPUT'],
      [{ jobTitle: 'Nobody' }, ['firstName'], 'BAD_USER_INPUT'],
      [{ firstName: '   ' }, ['firstName'], 'BAD_USER_INPUT'],
      [{ firstName: 'x'.repeat(10 * 1024 * 1024) }, ['firstName'], 'BAD_USER_INPUT'],
      [{ firstName: 'X', phones: [{ number: 'call me' }] }, ['phones', '0', 'number'], 'BAD_USER_INPUT'],
      [{ firstName: 'X', customFields: { nope: 1 } }, ['customFields', 'nope'], 'BAD_USER_INPUT'],
      [{ firstName: 'X', customFields: { rating: 'high' } }, ['customFields', 'rating'], 'BAD_USER_INPUT'],
      [{ firstName: 'X', companyId: 'Zm9vOmJhcg' }, ['companyId'], 'BAD_USER_INPUT'],
      [{ firstName: 'X', companyId: toGlobalId('Company', randomUUID()) }, ['companyId'], 'NOT_FOUND'],
      [{ firstName: 'X', companyId: foreignCompany }, ['companyId'], 'NOT_FOUND'],
      [{ firstName: 'X', ownerId: toGlobalId('User', foreign.userId) }, ['ownerId'], 'NOT_FOUND'],
      [{ firstName: 'X', tagIds: [toGlobalId('Tag', randomUUID())] }, ['tagIds', '0'], 'NOT_FOUND'],
    ];
    const contactsBefore = await server.count('contact', ws.id);
    for (const [input, field, code] of cases) {
      const res = await ws.gql(CREATE, { input: input as any });
      expect(res.errors).toBeUndefined();
      expect(res.data!.createContact.contact).toBeNull();
      expect(res.data!.createContact.userErrors[0]).toMatchObject({ field, code });
    }
    const badStage = await ws.gql(CREATE, { input: { firstName: 'X', lifecycleStage: 'WHALE' as any } });
    expect(badStage.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await server.count('contact', ws.id)).toBe(contactsBefore);
    expect(await server.count('idempotency_record', ws.id)).toBe(1);
  });

  it('updates with optimistic locking; consent changes are time-stamped', async () => {
    const contact = await createContact(ws, { firstName: 'Linus', emails: [{ email: 'linus@example.com' }] });
    const res = await ws.ok(UPDATE, {
      input: { id: contact.id, version: 1, lastName: 'Torvalds', marketingConsent: 'WITHDRAWN', doNotEmail: true },
    });
    expect(res.updateContact.userErrors).toEqual([]);
    expect(res.updateContact.contact).toMatchObject({
      name: 'Linus Torvalds',
      marketingConsent: 'WITHDRAWN',
      doNotEmail: true,
      version: 2,
    });
    expect(res.updateContact.contact!.consentUpdatedAt).not.toBeNull();

    const stale = await ws.ok(UPDATE, { input: { id: contact.id, version: 1, jobTitle: 'Stale' } });
    expect(stale.updateContact.userErrors).toEqual([expect.objectContaining({ field: ['version'], code: 'CONFLICT' })]);

    const noIdentity = await ws.ok(UPDATE, { input: { id: contact.id, version: 2, firstName: null, lastName: null, emails: [] } });
    expect(noIdentity.updateContact.userErrors[0]).toMatchObject({ field: ['firstName'], code: 'BAD_USER_INPUT' });

    const badEmail = await ws.ok(UPDATE, { input: { id: contact.id, version: 2, emails: [{ email: 'nope', primary: false }] } });
    expect(badEmail.updateContact.userErrors[0]).toMatchObject({ field: ['emails', '0', 'email'] });

    const unknown = await ws.ok(UPDATE, { input: { id: toGlobalId('Contact', randomUUID()), version: 1, firstName: 'Ghost' } });
    expect(unknown.updateContact.userErrors[0]).toMatchObject({ field: ['id'], code: 'NOT_FOUND' });

    const now = await ws.ok(GetContactDocument, { id: contact.id });
    expect(now.contact).toMatchObject({ name: 'Linus Torvalds', jobTitle: null, primaryEmail: 'linus@example.com', version: 2 });
  });

  it('filters by built-in and custom fields, sorts and pages both ways', async () => {
    const w = await server.newWorkspace();
    const hot = await createTag(w, 'Hot');
    await defineCustomField(w, 'score', CustomFieldType.NUMBER);
    const acme = await createCompany(w, 'Acme');
    const member = await w.addMember('Olivia Owner');
    const people = [
      {
        firstName: 'Ada',
        lastName: 'Lovelace',
        emails: [{ email: 'ada@acme.com' }, { email: 'countess@home.org' }],
        companyId: acme,
        customFields: { score: 30 },
        tagIds: [hot],
      },
      {
        firstName: 'Alan',
        lastName: 'Turing',
        emails: [{ email: 'alan@bletchley.uk' }],
        customFields: { score: 10 },
        lifecycleStage: 'CUSTOMER',
        ownerId: toGlobalId('User', member.id),
      },
      {
        firstName: 'Barbara',
        lastName: 'Liskov',
        emails: [{ email: 'barbara@mit.edu' }],
        companyId: acme,
        customFields: { score: 20 },
        doNotContact: true,
      },
      { firstName: 'Claude', lastName: 'Shannon', jobTitle: 'Engineer', source: 'conference' },
      { firstName: 'Donald', lastName: 'Knuth', customFields: { score: 40 }, tagIds: [hot] },
    ];
    for (const p of people) await createContact(w, p);

    const list = async (variables: Record<string, unknown>) => (await w.ok(LIST, variables as any)).contacts;
    expect(ids(await list({ filter: { name: { contains: 'DA LOVE' } } }))).toEqual(['Ada Lovelace']);
    expect(ids(await list({ filter: { email: { eq: 'COUNTESS@home.org' } } }))).toEqual(['Ada Lovelace']);
    expect(ids(await list({ filter: { email: { isNull: true } }, orderBy: [{ field: 'NAME' }] }))).toEqual([
      'Donald Knuth',
      'Claude Shannon',
    ]);
    expect(ids(await list({ filter: { company: { eq: acme } }, orderBy: [{ field: 'FIRST_NAME' }] }))).toEqual([
      'Ada Lovelace',
      'Barbara Liskov',
    ]);
    expect(ids(await list({ filter: { owner: { eq: toGlobalId('User', member.id) } } }))).toEqual(['Alan Turing']);
    expect(ids(await list({ filter: { lifecycleStage: ['CUSTOMER'] } }))).toEqual(['Alan Turing']);
    expect(ids(await list({ filter: { tags: [hot] }, orderBy: [{ field: 'LAST_NAME', direction: 'DESC' }] }))).toEqual([
      'Ada Lovelace',
      'Donald Knuth',
    ]);
    expect(ids(await list({ filter: { doNotContact: true } }))).toEqual(['Barbara Liskov']);
    expect(ids(await list({ filter: { jobTitle: { eq: 'Engineer' }, source: { eq: 'conference' } } }))).toEqual(['Claude Shannon']);
    expect(ids(await list({ filter: { query: 'bletchley' } }))).toEqual(['Alan Turing']);
    expect(
      ids(await list({ filter: { custom: [{ key: 'score', gte: 20 }] }, orderBy: [{ customField: 'score', direction: 'DESC' }] })),
    ).toEqual(['Donald Knuth', 'Ada Lovelace', 'Barbara Liskov']);

    // sorted by a custom field, nulls last; forward pages then a backward page from the end
    const orderBy = [{ customField: 'score', direction: 'ASC' }];
    const p1 = await list({ first: 2, orderBy });
    expect(ids(p1)).toEqual(['Alan Turing', 'Barbara Liskov']);
    expect(p1.totalCount).toBe(5);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = await list({ first: 2, after: p1.pageInfo.endCursor, orderBy });
    expect(ids(p2)).toEqual(['Ada Lovelace', 'Donald Knuth']);
    const p3 = await list({ first: 2, after: p2.pageInfo.endCursor, orderBy });
    expect(ids(p3)).toEqual(['Claude Shannon']);
    expect(p3.pageInfo.hasNextPage).toBe(false);
    const back = await list({ last: 2, before: p3.pageInfo.startCursor, orderBy });
    expect(ids(back)).toEqual(['Ada Lovelace', 'Donald Knuth']);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const lastTwo = await list({ last: 2, orderBy: [{ field: 'NAME' }] });
    expect(ids(lastTwo)).toEqual(['Claude Shannon', 'Alan Turing']);

    // Company.contacts pages the company's live contacts
    const company = await w.ok(CompanyContactsDocument, { id: acme, first: 1, orderBy: [{ field: 'NAME' }] });
    expect(company.company!.contacts).toMatchObject({
      totalCount: 2,
      nodes: [{ name: 'Barbara Liskov' }],
      pageInfo: { hasNextPage: true },
    });
    const next = await w.ok(CompanyContactsDocument, {
      id: acme,
      first: 5,
      after: company.company!.contacts.pageInfo.endCursor,
      orderBy: [{ field: 'NAME' }],
    });
    expect(ids(next.company!.contacts)).toEqual(['Ada Lovelace']);

    // bad filters are errors naming the field
    const unknownField = await w.gql(LIST, { filter: { custom: [{ key: 'nope', eq: 1 }] } });
    expect(unknownField.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const wrongType = await w.gql(LIST, { filter: { custom: [{ key: 'score', eq: 'lots' }] } });
    expect(wrongType.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknownSort = await w.gql(LIST, { orderBy: [{ customField: 'nope' }] });
    expect(unknownSort.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('soft-deletes, restores, and purges with its tags and timeline links', async () => {
    const tag = await createTag(ws, 'Purge me');
    const contact = await createContact(ws, { firstName: 'Temp', lastName: 'Person', tagIds: [tag] });
    const rawId = Buffer.from(contact.id, 'base64url').toString().split(':')[1]!;
    await server.orm.em.getConnection().execute(
      `insert into timeline_link (id, workspace_id, created_at, updated_at, target_type, target_id, entry_kind, entry_id, entry_type, occurred_at)
       values (?, ?, now(), now(), 'Contact', ?, 'activity', ?, 'NOTE', now())`,
      [randomUUID(), ws.id, rawId, randomUUID()],
    );
    const links = await server.count('timeline_link', ws.id);

    const staleDelete = await ws.ok(DeleteContactDocument, { id: contact.id, version: 7 });
    expect(staleDelete.deleteContact.userErrors[0]).toMatchObject({ field: ['version'], code: 'CONFLICT' });
    const deleted = await ws.ok(DeleteContactDocument, { id: contact.id, version: 1 });
    expect(deleted.deleteContact.contact!.deletedAt).not.toBeNull();
    expect((await ws.ok(LIST, { filter: { name: { eq: 'Temp Person' } } })).contacts.totalCount).toBe(0);
    expect((await ws.ok(LIST, { filter: { name: { eq: 'Temp Person' }, deleted: true } })).contacts.totalCount).toBe(1);

    const restored = await ws.ok(RestoreContactDocument, { id: contact.id });
    expect(restored.restoreContact.contact!.deletedAt).toBeNull();
    const purgeLive = await ws.ok(PurgeContactDocument, { id: contact.id });
    expect(purgeLive.purgeContact.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);

    await ws.ok(DeleteContactDocument, { id: contact.id });
    const purged = await ws.ok(PurgeContactDocument, { id: contact.id });
    expect(purged.purgeContact).toEqual({ deletedId: contact.id, userErrors: [] });
    expect(await server.count('timeline_link', ws.id)).toBe(links - 1);
    const tagRows = await server.orm.em.getConnection().execute('select count(*)::int as n from contact_tag where contact_id = ?', [rawId]);
    expect(tagRows[0]?.n).toBe(0);
    expect((await ws.ok(GetContactDocument, { id: contact.id })).contact).toBeNull();
  });

  it("never shows or changes another workspace's contact", async () => {
    const contact = await createContact(ws, { firstName: 'Secret', lastName: 'Agent' });
    const intruder = await server.newWorkspace();
    const seen = await intruder.ok(
      `query($id: ID!) { node(id: $id) { id } contact(id: $id) { id } contacts(filter: { name: { eq: "Secret Agent" } }) { totalCount } }`,
      { id: contact.id },
    );
    expect(seen).toEqual({ node: null, contact: null, contacts: { totalCount: 0 } });
    const upd = await intruder.ok(UPDATE, { input: { id: contact.id, version: 1, firstName: 'Pwned' } });
    expect(upd.updateContact.userErrors[0]).toMatchObject({ field: ['id'], code: 'NOT_FOUND' });
    const del = await intruder.ok(DeleteContactDocument, { id: contact.id });
    expect(del.deleteContact.userErrors[0]?.code).toBe('NOT_FOUND');
    expect((await ws.ok(GetContactDocument, { id: contact.id })).contact).toMatchObject({
      firstName: 'Secret',
      version: 1,
      deletedAt: null,
    });
  });

  it('loads company, owner and tags of a page in a constant number of queries', async () => {
    const w = await server.newWorkspace();
    const tags = [await createTag(w, 'A'), await createTag(w, 'B')];
    const companies = [await createCompany(w, 'C1'), await createCompany(w, 'C2'), await createCompany(w, 'C3')];
    const owners = [await w.addMember('O1'), await w.addMember('O2')];
    for (let i = 0; i < 40; i++) {
      await createContact(w, {
        firstName: `P${i}`,
        companyId: companies[i % 3],
        ownerId: toGlobalId('User', owners[i % 2]!.id),
        tagIds: [tags[i % 2]],
      });
    }
    const query = `query($n: Int) { contacts(first: $n) { nodes { name company { name } owner { name } tags { name } } } }`;
    const statements = async (n: number) => {
      let count = 0;
      server.orm.config.set('onQuery', (sql: string) => {
        count++;
        return sql;
      });
      try {
        const data = await w.ok(query, { n });
        expect(data.contacts.nodes).toHaveLength(n);
        expect(data.contacts.nodes.every((c: any) => c.company && c.owner && c.tags.length === 1)).toBe(true);
      } finally {
        server.orm.config.set('onQuery', (sql: string) => sql);
      }
      return count;
    };
    const small = await statements(5);
    const large = await statements(40);
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });
});
