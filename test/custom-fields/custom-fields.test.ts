import {
  CompaniesByCustomFieldDocument,
  CreateCompanyDocument,
  CreateCustomFieldDocument,
  CustomFieldsDocument,
  UpdateCompanyDocument,
  UpdateCustomFieldDocument,
} from '../generated/graphql.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;
let ws: TestWorkspace;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
  const fields = [
    {
      objectType: 'Company',
      key: 'tier',
      label: 'Tier',
      type: 'SELECT',
      options: [
        { value: 'gold', label: 'Gold' },
        { value: 'silver', label: 'Silver' },
      ],
    },
    { objectType: 'Company', key: 'score', label: 'Score', type: 'NUMBER', min: 0, max: 100 },
    { objectType: 'Company', key: 'renewal', label: 'Renewal', type: 'DATE' },
    {
      objectType: 'Company',
      key: 'markets',
      label: 'Markets',
      type: 'MULTI_SELECT',
      options: [
        { value: 'eu', label: 'EU' },
        { value: 'us', label: 'US' },
      ],
    },
    { objectType: 'Company', key: 'partner', label: 'Partner', type: 'BOOLEAN' },
  ];
  for (const input of fields) {
    const res = await ws.ok(CreateCustomFieldDocument, { input: input as any });
    expect(res.createCustomField.userErrors).toEqual([]);
  }
  const companies = [
    { name: 'Gold High', customFields: { tier: 'gold', score: 90, renewal: '2027-01-15', markets: ['eu', 'us'], partner: true } },
    { name: 'Silver Mid', customFields: { tier: 'silver', score: 50, renewal: '2026-12-01', markets: ['us'] } },
    { name: 'Gold Low', customFields: { tier: 'gold', score: 10 } },
    { name: 'Plain' },
  ];
  for (const input of companies) expect((await ws.ok(CreateCompanyDocument, { input })).createCompany.userErrors).toEqual([]);
});
afterAll(() => server.close());

const names = (data: any) => data.companies.nodes.map((n: any) => n.name);

describe('custom fields', () => {
  it('lists definitions per object type in order', async () => {
    const { customFields } = await ws.ok(CustomFieldsDocument, { objectType: 'Company' });
    expect(customFields.map((f) => f.key)).toEqual(['tier', 'score', 'renewal', 'markets', 'partner']);
  });

  it('filters and sorts by custom values like built-in fields', async () => {
    const gold = await ws.ok(CompaniesByCustomFieldDocument, {
      filter: { custom: [{ key: 'tier', eq: 'gold' }] },
      orderBy: [{ customField: 'score', direction: 'DESC' as any }],
    });
    expect(names(gold)).toEqual(['Gold High', 'Gold Low']);
    const range = await ws.ok(CompaniesByCustomFieldDocument, {
      filter: { custom: [{ key: 'score', gte: 20, lt: 95 }] },
      orderBy: [{ customField: 'score', direction: 'ASC' as any }],
    });
    expect(names(range)).toEqual(['Silver Mid', 'Gold High']);
    const dates = await ws.ok(CompaniesByCustomFieldDocument, { filter: { custom: [{ key: 'renewal', lt: '2027-01-01' }] } });
    expect(names(dates)).toEqual(['Silver Mid']);
    const multi = await ws.ok(CompaniesByCustomFieldDocument, { filter: { custom: [{ key: 'markets', contains: 'eu' }] } });
    expect(names(multi)).toEqual(['Gold High']);
    const unset = await ws.ok(CompaniesByCustomFieldDocument, { filter: { custom: [{ key: 'tier', isNull: true }] } });
    expect(names(unset)).toEqual(['Plain']);
    const sortedNullsLast = await ws.ok(CompaniesByCustomFieldDocument, { orderBy: [{ customField: 'renewal', direction: 'ASC' as any }] });
    expect(names(sortedNullsLast).slice(0, 2)).toEqual(['Silver Mid', 'Gold High']);
  });

  it('rejects unknown keys and wrongly typed values, writing nothing', async () => {
    const before = await server.count('company', ws.id);
    const bad: [Record<string, unknown>, string[], RegExp][] = [
      [{ nope: 1 }, ['customFields', 'nope'], /unknown custom field/],
      [{ score: 'high' }, ['customFields', 'score'], /number/],
      [{ score: 101 }, ['customFields', 'score'], /at most 100/],
      [{ tier: 'platinum' }, ['customFields', 'tier'], /one of/],
      [{ renewal: '15/01/2027' }, ['customFields', 'renewal'], /YYYY-MM-DD/],
      [{ partner: 'yes' }, ['customFields', 'partner'], /true or false/],
    ];
    for (const [customFields, field, message] of bad) {
      const res = await ws.ok(CreateCompanyDocument, { input: { name: 'Bad', customFields } });
      expect(res.createCompany.company).toBeNull();
      expect(res.createCompany.userErrors[0]!.field).toEqual(field);
      expect(res.createCompany.userErrors[0]!.message).toMatch(message);
    }
    const filter = await ws.gql(CompaniesByCustomFieldDocument, { filter: { custom: [{ key: 'ghost', eq: 1 }] } });
    expect(filter.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['filter', 'custom', '0', 'key'] });
    const sort = await ws.gql(CompaniesByCustomFieldDocument, { orderBy: [{ customField: 'ghost', direction: 'ASC' as any }] });
    expect(sort.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(await server.count('company', ws.id)).toBe(before);
  });

  it('merges updates over stored values and clears with null', async () => {
    const created = (await ws.ok(CreateCompanyDocument, { input: { name: 'Mergeable', customFields: { tier: 'gold', score: 5 } } }))
      .createCompany.company!;
    const updated = await ws.ok(UpdateCompanyDocument, {
      input: { id: created.id, version: created.version, customFields: { score: 7, tier: null } },
    });
    expect(updated.updateCompany.userErrors).toEqual([]);
    const res = await ws.ok(CompaniesByCustomFieldDocument, { filter: { name: { eq: 'Mergeable' } } });
    expect(res.companies.nodes[0]!.customFields).toEqual({ score: 7 });
  });

  it('validates definitions and refuses to drop options in use', async () => {
    const dupe = await ws.ok(CreateCustomFieldDocument, {
      input: { objectType: 'Company', key: 'tier', label: 'Tier again', type: 'TEXT' as any },
    });
    expect(dupe.createCustomField.userErrors[0]).toMatchObject({ field: ['key'], code: 'CONFLICT' });
    const badKey = await ws.ok(CreateCustomFieldDocument, {
      input: { objectType: 'Company', key: 'Bad Key', label: 'x', type: 'TEXT' as any },
    });
    expect(badKey.createCustomField.userErrors[0]!.field).toEqual(['key']);
    const noOptions = await ws.ok(CreateCustomFieldDocument, {
      input: { objectType: 'Company', key: 'kind', label: 'Kind', type: 'SELECT' as any },
    });
    expect(noOptions.createCustomField.userErrors[0]!.field).toEqual(['options']);
    const badObject = await ws.ok(CreateCustomFieldDocument, {
      input: { objectType: 'Spaceship', key: 'kind', label: 'Kind', type: 'TEXT' as any },
    });
    expect(badObject.createCustomField.userErrors[0]!.field).toEqual(['objectType']);
    const { customFields } = await ws.ok(CustomFieldsDocument, { objectType: 'Company' });
    const tier = customFields.find((f) => f.key === 'tier')!;
    const drop = await ws.ok(UpdateCustomFieldDocument, { input: { id: tier.id, options: [{ value: 'silver', label: 'Silver' }] } });
    expect(drop.updateCustomField.userErrors[0]).toMatchObject({ field: ['options'], code: 'CONFLICT' });
    const rename = await ws.ok(UpdateCustomFieldDocument, {
      input: {
        id: tier.id,
        label: 'Account tier',
        options: [
          { value: 'gold', label: 'Gold' },
          { value: 'silver', label: 'Silver' },
          { value: 'bronze', label: 'Bronze' },
        ],
      },
    });
    expect(rename.updateCustomField.customField).toMatchObject({
      label: 'Account tier',
      options: [{ value: 'gold' }, { value: 'silver' }, { value: 'bronze' }],
    });
    expect(await server.count('custom_field_definition', ws.id)).toBe(5);
  });

  it('keeps definitions per workspace', async () => {
    const other = await server.newWorkspace();
    expect((await other.ok(CustomFieldsDocument, {})).customFields).toEqual([]);
    const res = await other.ok(CreateCompanyDocument, { input: { name: 'X', customFields: { tier: 'gold' } } });
    expect(res.createCompany.userErrors[0]!.field).toEqual(['customFields', 'tier']);
  });
});
