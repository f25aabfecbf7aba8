import { startPluginServer, until, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import campaigns from '../../../plugins/campaigns/plugin.js';

/**
 * Dynamic segments: membership computed in SQL when saved and checked against a hand count on a fixed dataset,
 * previews before saving (in the caller's scope), membership following contact and company changes through the
 * outbox (entry and exit events for exactly the contacts that moved, only in segments whose rules read the change),
 * and refused rules leaving every row as it was.
 */

const ERRORS = `userErrors { field message code }`;
const CREATE = `mutation($i: CreateCampaignSegmentInput!) { createCampaignSegment(input: $i) { segment { id memberCount version } ${ERRORS} } }`;
const UPDATE = `mutation($i: UpdateCampaignSegmentInput!) { updateCampaignSegment(input: $i) { segment { id memberCount version } ${ERRORS} } }`;
const PREVIEW = `query($r: JSON!) { campaignSegmentPreview(rules: $r) { count contacts(first: 10, orderBy: [{ field: FIRST_NAME }]) { nodes { firstName } } } }`;
const MEMBERS = `query($id: ID!) { campaignSegment(id: $id) { memberCount members(first: 50, orderBy: [{ field: FIRST_NAME }]) { nodes { firstName } } } }`;

let server: PluginTestServer;
beforeAll(async () => {
  server = await startPluginServer([campaigns]);
  await server.startOutboxWorker({ pollMs: 20 });
});
afterAll(async () => {
  await server?.close();
});

const exec = (text: string, params: unknown[] = []) => server.orm.em.getConnection().execute(text, params);
const rawId = (globalId: string | undefined) => Buffer.from(globalId!, 'base64url').toString().split(':')[1]!;
const events = async (ws: { id: string }, type: string): Promise<Record<string, string>[]> =>
  (await exec('select payload from outbox_event where workspace_id = ? and type = ? order by occurred_at, id', [ws.id, type])).map(
    (r: { payload: unknown }) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload),
  );
const names = (nodes: { firstName: string }[]) => nodes.map((n) => n.firstName);

interface Dataset {
  ws: PluginTestWorkspace;
  ids: Record<string, string>;
  companies: Record<string, string>;
  salesId: string;
}

/**
 * Eight contacts: lifecycle, company industry, tag and owner chosen so each rule below has a known answer.
 *   name  lifecycle   company (industry)   tag   owner
 *   Ann   LEAD        Acme (Software)      vip   admin
 *   Bob   LEAD        Acme (Software)      -     sales
 *   Cid   CUSTOMER    Acme (Software)      vip   admin
 *   Dee   LEAD        Bolt (Retail)        vip   sales
 *   Eve   LEAD        -                    -     admin
 *   Fay   MQL         Bolt (Retail)        -     admin
 *   Gus   LEAD        Acme (Software)      -     admin   (trashed)
 *   Hal   CUSTOMER    -                    vip   sales
 */
async function dataset(): Promise<Dataset> {
  const ws = await server.newWorkspace();
  await ws.enable('campaigns');
  const sales = await ws.addMember('Sally', 'SALES');
  const salesGlobal = Buffer.from(`User:${sales.id}`).toString('base64url');
  const company = async (name: string, industry: string) =>
    (await ws.ok(`mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } } }`, { i: { name, industry } }))
      .createCompany.company.id as string;
  const companies = { acme: await company('Acme', 'Software'), bolt: await company('Bolt', 'Retail') };
  const vip = (await ws.ok(`mutation { createTag(input: { name: "vip" }) { tag { id } } }`)).createTag.tag.id as string;
  const rows: [string, string, string | null, boolean, boolean][] = [
    ['Ann', 'LEAD', companies.acme, true, false],
    ['Bob', 'LEAD', companies.acme, false, true],
    ['Cid', 'CUSTOMER', companies.acme, true, false],
    ['Dee', 'LEAD', companies.bolt, true, true],
    ['Eve', 'LEAD', null, false, false],
    ['Fay', 'MARKETING_QUALIFIED', companies.bolt, false, false],
    ['Gus', 'LEAD', companies.acme, false, false],
    ['Hal', 'CUSTOMER', null, true, true],
  ];
  const ids: Record<string, string> = {};
  for (const [firstName, lifecycleStage, companyId, tagged, bySales] of rows) {
    const created = await ws.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } ${ERRORS} } }`, {
      i: { firstName, lifecycleStage, companyId, tagIds: tagged ? [vip] : [], ownerId: bySales ? salesGlobal : null },
    });
    ids[firstName] = created.createContact.contact.id;
  }
  await ws.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { message } } }`, { id: ids.Gus });
  return { ws, ids, companies, salesId: sales.id };
}

const leadsAtSoftware = {
  all: [
    { field: 'lifecycleStage', op: 'eq', value: 'LEAD' },
    { field: 'company.industry', op: 'eq', value: 'software' },
  ],
};
const vipOrCustomer = {
  any: [
    { field: 'tags', op: 'includes', value: 'vip' },
    { field: 'lifecycleStage', op: 'eq', value: 'CUSTOMER' },
  ],
};
const leadsNotVip = {
  all: [{ field: 'lifecycleStage', op: 'eq', value: 'LEAD' }, { not: { field: 'tags', op: 'includes', value: 'vip' } }],
};

it('computes membership in SQL, matching a hand count of the dataset, and previews in the caller’s scope', async () => {
  const { ws, ids } = await dataset();
  // by hand: Ann, Bob (Gus is trashed) · Ann, Cid, Dee, Hal · Bob, Eve
  const expected: [unknown, string[]][] = [
    [leadsAtSoftware, ['Ann', 'Bob']],
    [vipOrCustomer, ['Ann', 'Cid', 'Dee', 'Hal']],
    [leadsNotVip, ['Bob', 'Eve']],
  ];
  for (const [rules, members] of expected) {
    const preview = (await ws.ok(PREVIEW, { r: rules })).campaignSegmentPreview;
    expect({ count: preview.count, names: names(preview.contacts.nodes) }).toEqual({ count: members.length, names: members });
  }
  const saved = (await ws.ok(CREATE, { i: { name: 'VIP or customer', kind: 'DYNAMIC', rules: vipOrCustomer } })).createCampaignSegment;
  expect(saved).toMatchObject({ segment: { memberCount: 4 }, userErrors: [] });
  expect(names((await ws.ok(MEMBERS, { id: saved.segment.id })).campaignSegment.members.nodes)).toEqual(['Ann', 'Cid', 'Dee', 'Hal']);
  const entered = await events(ws, 'segment.entered');
  expect(entered.map((e) => e.contactId).sort()).toEqual([ids.Ann, ids.Cid, ids.Dee, ids.Hal].map(rawId).sort());
  expect(new Set(entered.map((e) => e.source))).toEqual(new Set(['rules']));

  // SALES sees its own contacts only (Bob, Dee, Hal): the preview counts them, the segment's total stays 4
  const sales = await ws.addMember('Sid', 'SALES');
  expect((await sales.ok(PREVIEW, { r: vipOrCustomer })).campaignSegmentPreview.count).toBe(0);
  const seen = (await sales.ok(MEMBERS, { id: saved.segment.id })).campaignSegment;
  expect(seen).toEqual({ memberCount: 4, members: { nodes: [] } });
});

it('follows contact and company changes through the outbox, emitting entry and exit for those that moved', async () => {
  const { ws, ids, companies } = await dataset();
  const software = (await ws.ok(CREATE, { i: { name: 'Software leads', kind: 'DYNAMIC', rules: leadsAtSoftware } })).createCampaignSegment
    .segment;
  const tagged = (await ws.ok(CREATE, { i: { name: 'VIP', kind: 'DYNAMIC', rules: { field: 'tags', op: 'includes', value: 'vip' } } }))
    .createCampaignSegment.segment;
  expect([software.memberCount, tagged.memberCount]).toEqual([2, 4]);
  const settle = async (check: () => Promise<boolean>) => until(check);
  const updateContact = async (id: string | undefined, patch: Record<string, unknown>) => {
    const { version } = (await ws.ok(`query($id: ID!) { contact(id: $id) { version } }`, { id })).contact;
    const result = await ws.ok(`mutation($i: UpdateContactInput!) { updateContact(input: $i) { ${ERRORS} } }`, {
      i: { id, version, ...patch },
    });
    expect(result.updateContact.userErrors).toEqual([]);
  };
  const members = async (id: string) => names((await ws.ok(MEMBERS, { id })).campaignSegment.members.nodes);

  // Eve joins Acme: she enters "Software leads"; "VIP" does not read the company and is left alone
  await updateContact(ids.Eve, { companyId: companies.acme });
  await settle(async () => (await members(software.id)).includes('Eve'));
  expect(await members(software.id)).toEqual(['Ann', 'Bob', 'Eve']);

  // Ann becomes a customer: she leaves "Software leads"
  await updateContact(ids.Ann, { lifecycleStage: 'CUSTOMER' });
  await settle(async () => !(await members(software.id)).includes('Ann'));

  // Bolt becomes a software company: Dee (a lead there) enters; Fay (MQL) does not
  const { version } = (await ws.ok(`query($id: ID!) { company(id: $id) { version } }`, { id: companies.bolt })).company;
  const companyUpdate = await ws.ok(`mutation($i: UpdateCompanyInput!) { updateCompany(input: $i) { ${ERRORS} } }`, {
    i: { id: companies.bolt, version, industry: 'Software' },
  });
  expect(companyUpdate.updateCompany.userErrors).toEqual([]);
  await settle(async () => (await members(software.id)).includes('Dee'));
  expect(await members(software.id)).toEqual(['Bob', 'Dee', 'Eve']);

  const softwareEvents = async (type: string) =>
    (await events(ws, type)).filter((e) => e.segmentId === rawId(software.id)).map((e) => e.contactId);
  expect((await softwareEvents('segment.entered')).sort()).toEqual([ids.Ann, ids.Bob, ids.Eve, ids.Dee].map(rawId).sort());
  expect(await softwareEvents('segment.exited')).toEqual([rawId(ids.Ann)]);
  // "VIP" did not move on company or lifecycle changes: its rules read tags only
  const vipEvents = (await events(ws, 'segment.entered')).filter((e) => e.segmentId === rawId(tagged.id));
  expect(vipEvents).toHaveLength(4);

  // Bob is tagged vip: a tag-only change (contact.tagsChanged) moves "VIP" and leaves "Software leads" alone
  const vipTag = (await ws.ok(`query($id: ID!) { contact(id: $id) { tags { id } } }`, { id: ids.Hal })).contact.tags[0].id;
  await updateContact(ids.Bob, { tagIds: [vipTag] });
  await settle(async () => (await members(tagged.id)).includes('Bob'));
  expect(await members(tagged.id)).toEqual(['Ann', 'Bob', 'Cid', 'Dee', 'Hal']);

  // a trashed contact leaves
  await ws.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { message } } }`, { id: ids.Dee });
  await settle(async () => !(await members(software.id)).includes('Dee') && !(await members(tagged.id)).includes('Dee'));

  // changing the rules recomputes at once
  const changed = (await ws.ok(UPDATE, { i: { id: software.id, rules: leadsNotVip } })).updateCampaignSegment;
  // leads without the vip tag: Eve (Bob is vip now, Dee trashed)
  expect(changed.segment.memberCount).toBe(1);
  expect(await members(software.id)).toEqual(['Eve']);
});

it('refuses bad rules and writes nothing', async () => {
  const { ws } = await dataset();
  const snapshot = async () => ({
    segments: await exec('select * from campaign_segment where workspace_id = ? order by id', [ws.id]),
    members: await exec('select * from campaign_segment_member where workspace_id = ?', [ws.id]),
    events: await exec(`select id from outbox_event where workspace_id = ? and type like 'segment.%'`, [ws.id]),
  });
  const before = await snapshot();
  const bad: [unknown, string, string][] = [
    [{ field: 'shoeSize', op: 'eq', value: 3 }, 'rules.field', 'BAD_USER_INPUT'],
    [{ field: 'lifecycleStage', op: 'eq', value: 'KING' }, 'rules.value', 'BAD_USER_INPUT'],
    [{ field: 'lifecycleStage', op: 'gt', value: 'LEAD' }, 'rules.op', 'BAD_USER_INPUT'],
    [{ all: [{ field: 'firstName', op: 'eq', value: 'x'.repeat(5000) }] }, 'rules.all.0.value', 'BAD_USER_INPUT'],
    [{ fact: 'pipeline.openDealInStage', params: {} }, 'rules.fact', 'BAD_USER_INPUT'],
  ];
  for (const [rules, field, code] of bad) {
    const result = (await ws.ok(CREATE, { i: { name: 'Bad', kind: 'DYNAMIC', rules } })).createCampaignSegment;
    expect({
      rules,
      segment: result.segment,
      first: result.userErrors[0] && { field: result.userErrors[0].field.join('.'), code: result.userErrors[0].code },
    }).toEqual({
      rules,
      segment: null,
      first: { field, code },
    });
    const preview = await ws.gql(PREVIEW, { r: rules });
    expect(preview.errors?.[0]?.extensions?.code).toBe(code);
  }
  expect(await snapshot()).toEqual(before);
});
