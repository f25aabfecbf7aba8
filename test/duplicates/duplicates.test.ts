import { randomUUID } from 'node:crypto';
import {
  CompanyDuplicatesDocument,
  ContactDuplicatesDocument,
  CreateCompanyDocument,
  CreateContactDocument,
  DuplicateCompanyGroupsDocument,
  DuplicateContactGroupsDocument,
  GetContactDocument,
  ListContactsDocument,
  MergeCompaniesDocument,
  MergeContactsDocument,
  RestoreContactDocument,
} from '../generated/graphql.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { CustomFieldDefinition, CustomFieldType } from '../../src/core/custom-fields/custom-field-definition.entity.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { InputRejected } from '../../src/graphql/errors.js';
import { registerMergeRowMover } from '../../src/core/duplicates/merge-rows.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const rawId = (globalId: string) => parseGlobalId(globalId)!.id;

async function contact(w: TestWorkspace, input: Record<string, unknown>): Promise<string> {
  const res = await w.ok(CreateContactDocument, { input: input as any });
  expect(res.createContact.userErrors).toEqual([]);
  return res.createContact.contact!.id;
}

async function company(w: TestWorkspace, input: Record<string, unknown>): Promise<string> {
  const res = await w.ok(CreateCompanyDocument, { input: input as any });
  expect(res.createCompany.userErrors).toEqual([]);
  return res.createCompany.company!.id;
}

async function tag(w: TestWorkspace, name: string): Promise<string> {
  return (await w.ok(`mutation($name: String!) { createTag(input: { name: $name }) { tag { id } } }`, { name })).createTag.tag.id;
}

/** Simulates an activity on the timelines of the given records (the activities API is not needed for this). */
async function linkEntry(w: TestWorkspace, targetType: string, targetIds: string[], entryId = randomUUID()): Promise<string> {
  for (const target of targetIds) {
    await server.orm.em.getConnection().execute(
      `insert into timeline_link (id, workspace_id, created_at, updated_at, target_type, target_id, entry_kind, entry_id, entry_type, occurred_at)
       values (?, ?, now(), now(), ?, ?, 'activity', ?, 'CALL', now())`,
      [randomUUID(), w.id, targetType, rawId(target), entryId],
    );
  }
  return entryId;
}

async function linksOf(targetType: string, target: string): Promise<string[]> {
  const rows = await server.orm.em
    .getConnection()
    .execute<{ entry_id: string }[]>('select entry_id from timeline_link where target_type = ? and target_id = ? order by entry_id', [
      targetType,
      rawId(target),
    ]);
  return rows.map((r) => r.entry_id);
}

async function snapshot(w: TestWorkspace) {
  const rows = await server.orm.em.getConnection().execute(
    `select (select json_agg(l order by l.id) from (select id, target_id, entry_id from timeline_link where workspace_id = ?) l) as links,
              (select json_agg(c order by c.id) from (select id, version, deleted_at, merged_into_id, emails, company_id from contact where workspace_id = ?) c) as contacts,
              (select json_agg(c order by c.id) from (select id, version, deleted_at, domains from company where workspace_id = ?) c) as companies,
              (select count(*) from contact_tag ct join contact c on c.id = ct.contact_id where c.workspace_id = ?) as contact_tags`,
    [w.id, w.id, w.id, w.id],
  );
  return rows[0];
}

describe('duplicate detection', () => {
  it('finds live contacts sharing an email or phone, or with a similar name, best first', async () => {
    const w = await server.newWorkspace();
    const target = await contact(w, {
      firstName: 'Katherine',
      lastName: 'Johnson',
      emails: [{ email: 'kj@nasa.gov' }, { email: 'katherine@home.net' }],
      phones: [{ number: '+1 (757) 555-0100' }],
    });
    const sameEmailAndName = await contact(w, {
      firstName: 'Katherine',
      lastName: 'Johnston',
      emails: [{ email: 'other@x.org' }, { email: 'KJ@nasa.gov' }],
    });
    const sameEmail = await contact(w, { firstName: 'K.', emails: [{ email: 'katherine@home.net' }] });
    const samePhone = await contact(w, { firstName: 'Dorothy', lastName: 'Vaughan', phones: [{ number: '17575550100' }] });
    const similarName = await contact(w, { firstName: 'Katherin', lastName: 'Johnson' });
    await contact(w, { firstName: 'Mary', lastName: 'Jackson', emails: [{ email: 'mary@nasa.gov' }] });
    const trashed = await contact(w, { firstName: 'Katherine', lastName: 'Johnson', emails: [{ email: 'kj@nasa.gov' }] });
    await w.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { code } } }`, { id: trashed });
    const foreign = await server.newWorkspace();
    await contact(foreign, { firstName: 'Katherine', lastName: 'Johnson', emails: [{ email: 'kj@nasa.gov' }] });

    const { contactDuplicates } = await w.ok(ContactDuplicatesDocument, { id: target });
    const byId = new Map(contactDuplicates.map((c) => [c.record.id, c]));
    expect([...byId.keys()].sort()).toEqual([sameEmailAndName, sameEmail, samePhone, similarName].sort());
    expect(byId.get(sameEmailAndName)!.reasons.sort()).toEqual(['SAME_EMAIL', 'SIMILAR_NAME']);
    expect(byId.get(sameEmail)!.reasons).toEqual(['SAME_EMAIL']);
    expect(byId.get(samePhone)!.reasons).toEqual(['SAME_PHONE']);
    expect(byId.get(similarName)!.reasons).toEqual(['SIMILAR_NAME']);
    expect(contactDuplicates[0]!.record.id).toBe(sameEmailAndName);
    const scores = contactDuplicates.map((c) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0 && s <= 1)).toBe(true);

    // another workspace cannot ask about this contact
    expect((await foreign.ok(ContactDuplicatesDocument, { id: target })).contactDuplicates).toEqual([]);
  });

  it('finds companies sharing a domain or with a similar name', async () => {
    const w = await server.newWorkspace();
    const target = await company(w, { name: 'Initech Corporation', domains: ['initech.com', 'initech.io'] });
    const sameDomain = await company(w, { name: 'IT Holdings', domains: ['www.initech.io'] });
    const similar = await company(w, { name: 'Initech Corporation Ltd' });
    await company(w, { name: 'Globex', domains: ['globex.com'] });
    const { companyDuplicates } = await w.ok(CompanyDuplicatesDocument, { id: target });
    expect(companyDuplicates.map((c) => [c.record.id, c.reasons])).toEqual([
      [sameDomain, ['SAME_DOMAIN']],
      [similar, ['SIMILAR_NAME']],
    ]);
  });
});

describe('workspace-wide duplicate groups', () => {
  it('groups live contacts linked by shared emails or phones, and companies by domain', async () => {
    const w = await server.newWorkspace();
    const a = await contact(w, { firstName: 'A', emails: [{ email: 'a@x.com' }] });
    const b = await contact(w, {
      firstName: 'B',
      emails: [{ email: 'b@x.com' }, { email: 'A@x.com' }],
      phones: [{ number: '+49 30 1234567' }],
    });
    const c = await contact(w, { firstName: 'C', phones: [{ number: '0049 (30) 1234567' }, { number: '+49 30 1234567' }] });
    const d = await contact(w, { firstName: 'D', emails: [{ email: 'd@y.com' }] });
    const e = await contact(w, { firstName: 'E', emails: [{ email: 'd@y.com' }] });
    await contact(w, { firstName: 'Loner', emails: [{ email: 'solo@z.com' }] });
    const gone = await contact(w, { firstName: 'Gone', emails: [{ email: 'd@y.com' }] });
    await w.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { code } } }`, { id: gone });
    const { duplicateContacts } = await w.ok(DuplicateContactGroupsDocument, {});
    expect(duplicateContacts.map((g) => ({ ids: g.records.map((r) => r.id), reasons: g.reasons }))).toEqual([
      { ids: [a, b, c], reasons: ['SAME_EMAIL', 'SAME_PHONE'] },
      { ids: [d, e], reasons: ['SAME_EMAIL'] },
    ]);
    expect((await w.ok(DuplicateContactGroupsDocument, { first: 1 })).duplicateContacts).toHaveLength(1);

    const x = await company(w, { name: 'X1', domains: ['x.com'] });
    const y = await company(w, { name: 'X2', domains: ['x.io', 'x.com'] });
    await company(w, { name: 'Other', domains: ['other.com'] });
    const { duplicateCompanies } = await w.ok(DuplicateCompanyGroupsDocument, {});
    expect(duplicateCompanies).toEqual([
      {
        records: [
          { id: x, name: 'X1' },
          { id: y, name: 'X2' },
        ],
        reasons: ['SAME_DOMAIN'],
      },
    ]);
    expect((await (await server.newWorkspace()).ok(DuplicateContactGroupsDocument, {})).duplicateContacts).toEqual([]);
  });
});

describe('merging', () => {
  it('merges contacts: timeline links, tags, emails, phones, custom values and blank fields move to the target', async () => {
    const w = await server.newWorkspace();
    const em = server.orm.em.fork();
    em.create(CustomFieldDefinition, {
      workspaceId: w.id,
      objectType: 'Contact',
      key: 'tier',
      label: 'Tier',
      type: CustomFieldType.TEXT,
    } as CustomFieldDefinition);
    em.create(CustomFieldDefinition, {
      workspaceId: w.id,
      objectType: 'Contact',
      key: 'seats',
      label: 'Seats',
      type: CustomFieldType.NUMBER,
    } as CustomFieldDefinition);
    await em.flush();
    const [red, blue] = [await tag(w, 'Red'), await tag(w, 'Blue')];
    const target = await contact(w, { firstName: 'Ann', emails: [{ email: 'ann@a.com' }], tagIds: [red], customFields: { tier: 'gold' } });
    const source1 = await contact(w, {
      firstName: 'Annie',
      lastName: 'Smith',
      jobTitle: 'CTO',
      emails: [{ email: 'annie@b.com' }, { email: 'ANN@a.com' }],
      tagIds: [red, blue],
      customFields: { tier: 'silver', seats: 5 },
      doNotEmail: true,
    });
    const source2 = await contact(w, { lastName: 'Smyth', phones: [{ number: '+44 20 7946 0000' }] });

    const shared = await linkEntry(w, 'Contact', [target, source1]);
    const onlySource1 = await linkEntry(w, 'Contact', [source1]);
    const bothSources = await linkEntry(w, 'Contact', [source1, source2]);
    const linksBefore = await server.count('timeline_link', w.id);

    const res = await w.ok(MergeContactsDocument, { input: { targetId: target, sourceIds: [source1, source2], version: 1 } });
    expect(res.mergeContacts.userErrors).toEqual([]);
    expect(res.mergeContacts.mergedIds).toEqual([source1, source2]);
    expect(res.mergeContacts.contact).toMatchObject({
      id: target,
      firstName: 'Ann',
      lastName: 'Smith',
      jobTitle: 'CTO',
      emails: [
        { email: 'ann@a.com', primary: true },
        { email: 'annie@b.com', primary: false },
      ],
      primaryEmail: 'ann@a.com',
      phones: [{ number: '+44 20 7946 0000', primary: true }],
      tags: [{ name: 'Blue' }, { name: 'Red' }],
      customFields: { tier: 'gold', seats: 5 },
      doNotEmail: true,
      version: 2,
    });

    expect(await linksOf('Contact', target)).toEqual([shared, onlySource1, bothSources].sort());
    expect(await linksOf('Contact', source1)).toEqual([]);
    expect(await linksOf('Contact', source2)).toEqual([]);
    expect(await server.count('timeline_link', w.id)).toBe(linksBefore - 2);

    const merged = await server.orm.em
      .getConnection()
      .execute('select id, merged_into_id, deleted_at from contact where id in (?, ?)', [rawId(source1), rawId(source2)]);
    expect(merged.every((r: any) => r.merged_into_id === rawId(target) && r.deleted_at !== null)).toBe(true);
    // merged contacts are neither live nor in the trash, and cannot be restored
    expect((await w.ok(ListContactsDocument, { filter: { deleted: true } })).contacts.totalCount).toBe(0);
    expect((await w.ok(ListContactsDocument, {})).contacts.totalCount).toBe(1);
    expect((await w.ok(RestoreContactDocument, { id: source1 })).restoreContact.userErrors[0]?.code).toBe('NOT_FOUND');
    const search = await w.ok(ListContactsDocument, { filter: { query: 'smith' } });
    expect(search.contacts.nodes.map((n) => n.id)).toEqual([target]);
  });

  it('merges companies: contacts, domains, tags and timeline links move to the target', async () => {
    const w = await server.newWorkspace();
    const hq = await tag(w, 'HQ');
    const target = await company(w, { name: 'Umbrella', domains: ['umbrella.com'] });
    const source = await company(w, {
      name: 'Umbrella Corp',
      domains: ['umbrella-corp.com', 'umbrella.com'],
      industry: 'Pharma',
      tagIds: [hq],
    });
    await contact(w, { firstName: 'Albert', lastName: 'Wesker', companyId: source });
    await contact(w, { firstName: 'Jill', lastName: 'Valentine', companyId: target });
    const entry = await linkEntry(w, 'Company', [source]);
    const res = await w.ok(MergeCompaniesDocument, { input: { targetId: target, sourceIds: [source] } });
    expect(res.mergeCompanies.userErrors).toEqual([]);
    expect(res.mergeCompanies.company).toMatchObject({
      name: 'Umbrella',
      domains: ['umbrella.com', 'umbrella-corp.com'],
      primaryDomain: 'umbrella.com',
      industry: 'Pharma',
      tags: [{ name: 'HQ' }],
      version: 2,
      contacts: { totalCount: 2 },
    });
    expect(res.mergeCompanies.company!.contacts.nodes.map((n) => n.name).sort()).toEqual(['Albert Wesker', 'Jill Valentine']);
    expect(await linksOf('Company', target)).toEqual([entry]);
    expect((await w.ok(`{ companies { totalCount } }`)).companies.totalCount).toBe(1);
  });

  it('rejects invalid merges and writes nothing', async () => {
    const w = await server.newWorkspace();
    const target = await contact(w, { firstName: 'Tess', emails: [{ email: 'tess@t.com' }] });
    const source = await contact(w, { firstName: 'Tessa', emails: [{ email: 'tessa@t.com' }] });
    const trashed = await contact(w, { firstName: 'Old' });
    await w.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { code } } }`, { id: trashed });
    const foreign = await server.newWorkspace();
    const foreignContact = await contact(foreign, { firstName: 'Foreign' });
    const someCompany = await company(w, { name: 'NotAContact' });
    await linkEntry(w, 'Contact', [source]);
    await linkEntry(w, 'Contact', [target, source]);
    const before = await snapshot(w);
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ targetId: target, sourceIds: [] }, ['sourceIds'], 'BAD_USER_INPUT'],
      [
        { targetId: target, sourceIds: Array.from({ length: 21 }, () => toGlobalId('Contact', randomUUID())) },
        ['sourceIds'],
        'BAD_USER_INPUT',
      ],
      [{ targetId: target, sourceIds: [source, target] }, ['sourceIds', '1'], 'BAD_USER_INPUT'],
      [{ targetId: target, sourceIds: [source, source] }, ['sourceIds', '1'], 'BAD_USER_INPUT'],
      [{ targetId: target, sourceIds: [source, foreignContact] }, ['sourceIds', '1'], 'NOT_FOUND'],
      [{ targetId: target, sourceIds: [source, trashed] }, ['sourceIds', '1'], 'NOT_FOUND'],
      [{ targetId: target, sourceIds: [someCompany] }, ['sourceIds', '0'], 'BAD_USER_INPUT'],
      [{ targetId: foreignContact, sourceIds: [source] }, ['targetId'], 'NOT_FOUND'],
      [{ targetId: target, sourceIds: [source], version: 9 }, ['version'], 'CONFLICT'],
    ];
    for (const [input, field, code] of cases) {
      const res = await w.ok(MergeContactsDocument, { input: input as any });
      expect(res.mergeContacts.contact).toBeNull();
      expect(res.mergeContacts.userErrors[0]).toMatchObject({ field, code });
    }
    const companyMerge = await w.ok(MergeCompaniesDocument, { input: { targetId: someCompany, sourceIds: [someCompany] } });
    expect(companyMerge.mergeCompanies.userErrors[0]).toMatchObject({ field: ['sourceIds', '0'] });
    expect(await snapshot(w)).toEqual(before);
    expect((await w.ok(GetContactDocument, { id: source })).contact).toMatchObject({ deletedAt: null, version: 1 });
  });

  it('rolls back rows already moved when a later step of the merge fails', async () => {
    const w = await server.newWorkspace();
    const label = await tag(w, 'Moved');
    const target = await contact(w, { firstName: 'Rollback', lastName: 'Target' });
    const source = await contact(w, { firstName: 'Rollback', lastName: 'Source', tagIds: [label] });
    await linkEntry(w, 'Contact', [source]);
    await linkEntry(w, 'Contact', [target, source]);
    // runs after the timeline links and tags have moved inside the transaction
    registerMergeRowMover('Contact', async (_em, _ws, targetId) => {
      if (targetId === rawId(target)) throw InputRejected.one('sourceIds', 'refused by a plugin');
    });
    const before = await snapshot(w);
    const res = await w.ok(MergeContactsDocument, { input: { targetId: target, sourceIds: [source] } });
    expect(res.mergeContacts.userErrors).toEqual([expect.objectContaining({ field: ['sourceIds'], message: 'refused by a plugin' })]);
    expect(await snapshot(w)).toEqual(before);
    expect(await linksOf('Contact', source)).toHaveLength(2);
  });
});
