import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import campaigns from '../../../plugins/campaigns/plugin.js';

/**
 * Static lists of the campaigns plugin: members added, removed and imported by CSV, `segment.entered` /
 * `segment.exited` per contact that actually changed, members listed in the caller's scope, and refused input
 * leaving every row as it was.
 */

const ERRORS = `userErrors { field message code }`;
const SEGMENT = `id name kind memberCount version`;
const CREATE = `mutation($i: CreateCampaignSegmentInput!) { createCampaignSegment(input: $i) { segment { ${SEGMENT} } ${ERRORS} } }`;
const UPDATE = `mutation($i: UpdateCampaignSegmentInput!) { updateCampaignSegment(input: $i) { segment { ${SEGMENT} } ${ERRORS} } }`;
const DELETE = `mutation($i: DeleteCampaignSegmentInput!) { deleteCampaignSegment(input: $i) { deletedId ${ERRORS} } }`;
const ADD = `mutation($i: CampaignListMembersInput!) { addCampaignListMembers(input: $i) { changed segment { memberCount } ${ERRORS} } }`;
const REMOVE = `mutation($i: CampaignListMembersInput!) { removeCampaignListMembers(input: $i) { changed segment { memberCount } ${ERRORS} } }`;
const IMPORT = `mutation($i: ImportCampaignListCsvInput!) { importCampaignListCsv(input: $i) {
  rows added alreadyMembers unknown unknownEmails invalid segment { memberCount } ${ERRORS} } }`;
const MEMBERS = `query($id: ID!, $f: ContactFilter) { campaignSegment(id: $id) { memberCount
  members(first: 50, filter: $f, orderBy: [{ field: FIRST_NAME }]) { totalCount nodes { firstName } } } }`;
const LIST = `query($kind: CampaignSegmentKind) { campaignSegments(first: 50, kind: $kind) { nodes { name kind } } }`;
const CREATE_CONTACT = `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } ${ERRORS} } }`;

describe('campaigns plugin: static lists', () => {
  let server: PluginTestServer;
  beforeAll(async () => {
    server = await startPluginServer([campaigns]);
  });
  afterAll(async () => {
    await server?.close();
  });

  const db = () => server.orm.em.getConnection();
  const rows = (sqlText: string, params: unknown[]) => db().execute(sqlText, params);
  const snapshot = async (ws: { id: string }) => ({
    segments: await rows('select * from campaign_segment where workspace_id = ? order by id', [ws.id]),
    members: await rows('select * from campaign_segment_member where workspace_id = ? order by segment_id, contact_id', [ws.id]),
    events: await rows(`select id from outbox_event where workspace_id = ? and type like 'segment.%' order by id`, [ws.id]),
  });
  const events = async (ws: { id: string }, type: string): Promise<Record<string, string>[]> =>
    (await rows('select payload from outbox_event where workspace_id = ? and type = ? order by occurred_at, id', [ws.id, type])).map(
      (r: { payload: unknown }) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload),
    );
  const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

  async function contact(ws: PluginTestWorkspace, firstName: string, extra: Record<string, unknown> = {}) {
    const data = await ws.ok(CREATE_CONTACT, { i: { firstName, ...extra } });
    return data.createContact.contact.id as string;
  }

  async function setup() {
    const ws = await server.newWorkspace();
    await ws.enable('campaigns');
    const ann = await contact(ws, 'Ann', { emails: [{ email: 'ann@example.com', primary: true }, { email: 'ann.work@example.org' }] });
    const bob = await contact(ws, 'Bob', { emails: [{ email: 'Bob@Example.com' }] });
    const cid = await contact(ws, 'Cid', { emails: [{ email: 'cid@example.com' }] });
    const list = (await ws.ok(CREATE, { i: { name: 'Newsletter', kind: 'STATIC' } })).createCampaignSegment.segment;
    return { ws, ann, bob, cid, list };
  }

  it('adds and removes members, emitting an event per contact that actually changed', async () => {
    const { ws, ann, bob, list } = await setup();
    const added = (await ws.ok(ADD, { i: { segmentId: list.id, contactIds: [ann, bob, ann] } })).addCampaignListMembers;
    expect(added).toEqual({ changed: 2, segment: { memberCount: 2 }, userErrors: [] });
    const again = (await ws.ok(ADD, { i: { segmentId: list.id, contactIds: [bob] } })).addCampaignListMembers;
    expect(again).toEqual({ changed: 0, segment: { memberCount: 2 }, userErrors: [] });
    const entered = await events(ws, 'segment.entered');
    expect(entered.map((e) => e.contactId).sort()).toEqual([rawId(ann), rawId(bob)].sort());
    expect(entered[0]).toMatchObject({ segmentId: rawId(list.id), segmentName: 'Newsletter', source: 'manual' });

    const removed = (await ws.ok(REMOVE, { i: { segmentId: list.id, contactIds: [bob] } })).removeCampaignListMembers;
    expect(removed).toEqual({ changed: 1, segment: { memberCount: 1 }, userErrors: [] });
    expect((await events(ws, 'segment.exited')).map((e) => e.contactId)).toEqual([rawId(bob)]);
    const members = (await ws.ok(MEMBERS, { id: list.id })).campaignSegment;
    expect(members).toEqual({ memberCount: 1, members: { totalCount: 1, nodes: [{ firstName: 'Ann' }] } });
  });

  it('lists members with the contact filters, in the caller’s record scope', async () => {
    const { ws, ann, bob, cid, list } = await setup();
    const sales = await ws.addMember('Sam Sales', 'SALES');
    const own = await contact(ws, 'Dora', { ownerId: Buffer.from(`User:${sales.id}`).toString('base64url') });
    await ws.ok(ADD, { i: { segmentId: list.id, contactIds: [ann, bob, cid, own] } });
    const filtered = (await ws.ok(MEMBERS, { id: list.id, f: { firstName: { startsWith: 'b' } } })).campaignSegment.members;
    expect(filtered).toEqual({ totalCount: 1, nodes: [{ firstName: 'Bob' }] });
    // SALES reads contacts of its team only (here: its own), and campaign:read is granted to it
    const seen = (await sales.ok(MEMBERS, { id: list.id })).campaignSegment;
    expect(seen).toEqual({ memberCount: 4, members: { totalCount: 1, nodes: [{ firstName: 'Dora' }] } });
    // but it may not change lists
    const refused = await sales.gql(ADD, { i: { segmentId: list.id, contactIds: [own] } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('imports a CSV by any of a contact’s addresses and reports what it could not match', async () => {
    const { ws, ann, list } = await setup();
    await ws.ok(ADD, { i: { segmentId: list.id, contactIds: [ann] } });
    const csv = [
      'Name,E-mail address',
      'Ann,ANN.WORK@example.org',
      'Bob,bob@example.com',
      'Bob again,bob@example.com',
      'Nobody,nobody@example.com',
      'Broken,not-an-address',
      '"Quoted, name",cid@example.com',
      'Empty,',
    ].join('\r\n');
    const result = (await ws.ok(IMPORT, { i: { segmentId: list.id, csv, emailColumn: 'e-mail address' } })).importCampaignListCsv;
    expect(result).toEqual({
      rows: 7,
      added: 2,
      alreadyMembers: 2,
      unknown: 1,
      unknownEmails: ['nobody@example.com'],
      invalid: 2,
      segment: { memberCount: 3 },
      userErrors: [],
    });
    expect((await events(ws, 'segment.entered')).filter((e) => e.source === 'import')).toHaveLength(2);
  });

  it('refuses bad input and writes nothing', async () => {
    const { ws, ann, list } = await setup();
    const other = await server.newWorkspace();
    await other.enable('campaigns');
    const foreign = await contact(other, 'Foreign');
    const before = await snapshot(ws);
    const cases: [string, Record<string, unknown>, { field: string[]; code: string }][] = [
      [CREATE, { i: { name: 'newsletter', kind: 'STATIC' } }, { field: ['name'], code: 'CONFLICT' }],
      [CREATE, { i: { name: '   ', kind: 'STATIC' } }, { field: ['name'], code: 'BAD_USER_INPUT' }],
      [CREATE, { i: { name: 'x'.repeat(121), kind: 'STATIC' } }, { field: ['name'], code: 'BAD_USER_INPUT' }],
      [CREATE, { i: { name: 'Ruled list', kind: 'STATIC', rules: { all: [] } } }, { field: ['rules'], code: 'BAD_USER_INPUT' }],
      [CREATE, { i: { name: 'No rules', kind: 'DYNAMIC' } }, { field: ['rules'], code: 'BAD_USER_INPUT' }],
      [ADD, { i: { segmentId: list.id, contactIds: [ann, foreign] } }, { field: ['contactIds', '1'], code: 'NOT_FOUND' }],
      [ADD, { i: { segmentId: list.id, contactIds: [] } }, { field: ['contactIds'], code: 'BAD_USER_INPUT' }],
      [ADD, { i: { segmentId: list.id, contactIds: Array(1001).fill(ann) } }, { field: ['contactIds'], code: 'BAD_USER_INPUT' }],
      [ADD, { i: { segmentId: ann, contactIds: [ann] } }, { field: ['segmentId'], code: 'BAD_USER_INPUT' }],
      [UPDATE, { i: { id: list.id, version: 99, name: 'Stale' } }, { field: ['version'], code: 'CONFLICT' }],
      [UPDATE, { i: { id: list.id, rules: { all: [] } } }, { field: ['rules'], code: 'BAD_USER_INPUT' }],
      [DELETE, { i: { id: list.id, version: 99 } }, { field: ['version'], code: 'CONFLICT' }],
      [IMPORT, { i: { segmentId: list.id, csv: 'name\nAnn' } }, { field: ['csv'], code: 'BAD_USER_INPUT' }],
      [IMPORT, { i: { segmentId: list.id, csv: 'email\n"unterminated' } }, { field: ['csv'], code: 'BAD_USER_INPUT' }],
      [
        IMPORT,
        { i: { segmentId: list.id, csv: 'email\nann@example.com', emailColumn: 'mail' } },
        { field: ['emailColumn'], code: 'BAD_USER_INPUT' },
      ],
    ];
    for (const [query, variables, expected] of cases) {
      const data = await ws.ok(query, variables);
      const payload = Object.values(data)[0] as { userErrors: { field: string[]; code: string }[] };
      expect({ query: query.slice(9, 40), errors: payload.userErrors.map(({ field, code }) => ({ field, code })) }).toEqual({
        query: query.slice(9, 40),
        errors: [expected],
      });
    }
    // control characters and NUL are refused before any resolver runs
    const nul = await ws.gql(CREATE, { i: { name: 'Bad\u0000name', kind: 'STATIC' } });
    expect(nul.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await snapshot(ws)).toEqual(before);
    // another workspace's list is not found
    const theirs = await other.ok(ADD, { i: { segmentId: list.id, contactIds: [foreign] } });
    expect(theirs.addCampaignListMembers.userErrors).toEqual([{ field: ['segmentId'], message: 'segment not found', code: 'NOT_FOUND' }]);
  });

  it('renames, lists by kind and trashes lists', async () => {
    const { ws, list } = await setup();
    const renamed = (await ws.ok(UPDATE, { i: { id: list.id, version: list.version, name: 'Monthly news' } })).updateCampaignSegment;
    expect(renamed.segment).toMatchObject({ name: 'Monthly news', version: list.version + 1 });
    await ws.ok(CREATE, { i: { name: 'Another', kind: 'STATIC' } });
    expect((await ws.ok(LIST, { kind: 'STATIC' })).campaignSegments.nodes.map((n: { name: string }) => n.name)).toEqual([
      'Another',
      'Monthly news',
    ]);
    const deleted = (await ws.ok(DELETE, { i: { id: list.id, version: renamed.segment.version } })).deleteCampaignSegment;
    expect(deleted).toEqual({ deletedId: list.id, userErrors: [] });
    expect((await ws.ok(`query($id: ID!) { campaignSegment(id: $id) { id } }`, { id: list.id })).campaignSegment).toBeNull();
    // the name is free again
    expect((await ws.ok(CREATE, { i: { name: 'Monthly news', kind: 'STATIC' } })).createCampaignSegment.userErrors).toEqual([]);
  });
});
