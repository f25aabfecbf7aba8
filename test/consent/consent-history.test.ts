import { TestClock } from 'pg-boss';
import { OutboxWorker } from '../../src/events/outbox-worker.js';
import { requestContextAs } from '../../src/graphql/act-as.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { changeContactConsent, ConsentActorKind } from '../../src/sdk/index.js';
import { tickUntil, until } from '../../src/sdk/testing.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { makeRule } from '../automation/helpers.js';

/**
 * `Contact.consentHistory`: every path that changes marketingConsent or a do-not flag — the contact mutations (as a
 * member, as an API key), CSV import, merge, an automation rule, the SDK for plugins (an unsubscribe link) — writes one
 * row per changed field with its actor and note, in the write's transaction; rejected input writes none.
 */
const clock = new TestClock(Date.now());
let server: TestServer;
let outbox: OutboxWorker;
let ws: TestWorkspace;

beforeAll(async () => {
  server = await startTestServer({ queue: { clock, automation: true } });
  outbox = new OutboxWorker({ orm: server.appOrm, pollMs: 20, backoffBaseMs: 20, leaseMarginMs: 1000 }).start();
  ws = await server.newWorkspace();
}, 60_000);
afterAll(async () => {
  await outbox?.stop(1000);
  await server?.close();
});

const FIELDS = 'id version marketingConsent doNotContact doNotEmail doNotCall';
const CREATE = `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { ${FIELDS} } userErrors { field message code } } }`;
const UPDATE = `mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { ${FIELDS} } userErrors { field message code } } }`;
const HISTORY = `query($id: ID!, $first: Int, $after: String) { contact(id: $id) { consentHistory(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor } nodes { field from to actorKind actorId source legalBasis changedAt } } } }`;

async function create(input: Record<string, unknown>, w = ws) {
  const res = await w.ok(CREATE, { input });
  expect(res.createContact.userErrors).toEqual([]);
  return res.createContact.contact as { id: string; version: number };
}

async function history(id: string, w = ws) {
  return (await w.ok(HISTORY, { id, first: 50 })).contact.consentHistory;
}

/** History rows without their time, newest first. */
const changes = async (id: string) => (await history(id)).nodes.map(({ changedAt: _t, ...rest }: { changedAt: string }) => rest);

const consentRows = async (w = ws) => server.count('consent_change', w.id);

describe('contact mutations', () => {
  it('records the fields a member sets on create and changes on update, with the note, newest first', async () => {
    const me = toGlobalId('User', ws.userId);
    const c = await create({
      firstName: 'Ada',
      marketingConsent: 'GRANTED',
      consentSource: '  web form /pricing  ',
      legalBasis: 'consent',
    });
    expect(await changes(c.id)).toEqual([
      {
        field: 'MARKETING_CONSENT',
        from: null,
        to: 'GRANTED',
        actorKind: 'USER',
        actorId: me,
        source: 'web form /pricing',
        legalBasis: 'consent',
      },
    ]);

    // a write that leaves consent as it was records nothing (a note alone is not a change)
    const renamed = await ws.ok(UPDATE, { input: { id: c.id, version: c.version, lastName: 'Lovelace', consentSource: 'ignored' } });
    expect(await history(c.id)).toMatchObject({ totalCount: 1 });

    await ws.ok(UPDATE, {
      input: {
        id: c.id,
        version: renamed.updateContact.contact.version,
        marketingConsent: 'WITHDRAWN',
        doNotEmail: true,
        doNotCall: false,
      },
    });
    const page = await history(c.id);
    expect(page.totalCount).toBe(3);
    expect(
      page.nodes
        .slice(0, 2)
        .map((n: { field: string }) => n.field)
        .sort(),
    ).toEqual(['DO_NOT_EMAIL', 'MARKETING_CONSENT']);
    expect(page.nodes.slice(0, 2)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'MARKETING_CONSENT', from: 'GRANTED', to: 'WITHDRAWN', actorKind: 'USER', source: null }),
        expect.objectContaining({ field: 'DO_NOT_EMAIL', from: 'false', to: 'true', actorKind: 'USER', actorId: me }),
      ]),
    );
    expect(page.nodes[2]).toMatchObject({ field: 'MARKETING_CONSENT', to: 'GRANTED' });
    expect(new Date(page.nodes[0].changedAt).getTime()).toBeGreaterThanOrEqual(new Date(page.nodes[2].changedAt).getTime());

    // keyset pages: two, then the rest
    const first = (await ws.ok(HISTORY, { id: c.id, first: 2 })).contact.consentHistory;
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await ws.ok(HISTORY, { id: c.id, first: 2, after: first.pageInfo.endCursor })).contact.consentHistory;
    expect(rest.nodes).toEqual([page.nodes[2]]);
    expect(rest.pageInfo.hasNextPage).toBe(false);

    // the rows are the contact's: a read-only member who may read the contact reads them too
    const reader = await ws.addMember('Rita', MembershipRole.READ_ONLY);
    const theirs = await server.gql(HISTORY, { id: c.id, first: 50 }, reader.headers);
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data.contact.consentHistory.totalCount).toBe(3);
  });

  it('a page of contacts reads their histories in one statement (plus one for the counts)', async () => {
    const w = await server.newWorkspace();
    for (let i = 0; i < 4; i++) await create({ firstName: `P${i}`, doNotEmail: true, doNotCall: i % 2 === 0 }, w);
    const statements: string[] = [];
    server.orm.config.set('onQuery', (sql: string) => {
      if (sql.includes('consent_change')) statements.push(sql);
      return sql;
    });
    try {
      const data = await w.ok(`{ contacts(first: 10, orderBy: [{ field: FIRST_NAME }]) { nodes { firstName
        consentHistory(first: 5) { totalCount nodes { field to } } } } }`);
      expect(
        data.contacts.nodes.map((n: any) => [
          n.firstName,
          n.consentHistory.totalCount,
          n.consentHistory.nodes.map((c: any) => c.field).sort(),
        ]),
      ).toEqual([
        ['P0', 2, ['DO_NOT_CALL', 'DO_NOT_EMAIL']],
        ['P1', 1, ['DO_NOT_EMAIL']],
        ['P2', 2, ['DO_NOT_CALL', 'DO_NOT_EMAIL']],
        ['P3', 1, ['DO_NOT_EMAIL']],
      ]);
    } finally {
      server.orm.config.set('onQuery', (sql: string) => sql);
    }
    expect(statements).toHaveLength(2);
  });

  it('records an API key as the actor', async () => {
    const key = await ws.ok('mutation { createApiKey(input: { name: "forms", role: "ADMIN" }) { secret apiKey { id } } }');
    const res = await server.gql(
      CREATE,
      { input: { firstName: 'Key', doNotContact: true, legalBasis: 'legitimate interest' } },
      { authorization: `Bearer ${key.createApiKey.secret}` },
    );
    expect(res.data.createContact.userErrors).toEqual([]);
    expect(await changes(res.data.createContact.contact.id)).toEqual([
      {
        field: 'DO_NOT_CONTACT',
        from: null,
        to: 'true',
        actorKind: 'API_KEY',
        actorId: key.createApiKey.apiKey.id,
        source: null,
        legalBasis: 'legitimate interest',
      },
    ]);
  });

  it('refuses hostile or oversized notes and writes nothing', async () => {
    const c = await create({ firstName: 'Grace' });
    const before = { rows: await consentRows(), contacts: await server.count('contact', ws.id) };
    for (const [field, value] of [
      ['consentSource', 'web\u0000form'],
      ['consentSource', 'line one\nline two'],
      ['consentSource', 'x'.repeat(501)],
      ['legalBasis', '\u0007bell'],
      ['legalBasis', 'y'.repeat(201)],
    ] as const) {
      const updated = await ws.gql(UPDATE, { input: { id: c.id, version: c.version, marketingConsent: 'GRANTED', [field]: value } });
      const created = await ws.gql(CREATE, { input: { firstName: 'Nope', doNotCall: true, [field]: value } });
      if (value.includes('\u0000') || value.includes('\u0007')) {
        // control characters are refused before the resolver (test/hardening/hostile-strings.test.ts)
        for (const response of [updated, created])
          expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
        continue;
      }
      expect(updated.data.updateContact).toMatchObject({ contact: null, userErrors: [{ field: [field], code: 'BAD_USER_INPUT' }] });
      expect(created.data.createContact.userErrors).toHaveLength(1);
    }
    expect({ rows: await consentRows(), contacts: await server.count('contact', ws.id) }).toEqual(before);
    const stored = await server.orm.em
      .getConnection()
      .execute(`select marketing_consent, version from contact where id = ?`, [parseGlobalId(c.id)!.id]);
    expect(stored).toEqual([{ marketing_consent: 'UNKNOWN', version: c.version }]);
  });
});

describe('other writers', () => {
  it('CSV import: one row per changed field, actor the import job, only for what changed', async () => {
    const existing = await create({ firstName: 'Imported', emails: [{ email: 'imp@example.com', primary: true }], doNotEmail: true });
    const csv = ['email,firstName,marketingConsent,doNotEmail', 'imp@example.com,Imported,GRANTED,true', 'new@example.com,New,,true'].join(
      '\n',
    );
    const response = await server.app.http.inject({
      method: 'POST',
      url: '/imports/contacts',
      headers: { ...ws.headers, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(response.statusCode).toBe(200);
    const job = response.json();
    expect(job).toMatchObject({ createdCount: 1, updatedCount: 1, failedCount: 0 });
    const [fresh] = await server.orm.em
      .getConnection()
      .execute<{ id: string }[]>(`select id from contact where workspace_id = ? and primary_email = 'new@example.com'`, [ws.id]);
    const importer = { actorKind: 'IMPORT', actorId: expect.stringMatching(/./), source: 'CSV import', legalBasis: null };
    expect(await changes(existing.id)).toEqual([
      { field: 'MARKETING_CONSENT', from: 'UNKNOWN', to: 'GRANTED', ...importer },
      {
        field: 'DO_NOT_EMAIL',
        from: null,
        to: 'true',
        actorKind: 'USER',
        actorId: toGlobalId('User', ws.userId),
        source: null,
        legalBasis: null,
      },
    ]);
    const created = await changes(toGlobalId('Contact', fresh!.id));
    expect(created).toEqual([{ field: 'DO_NOT_EMAIL', from: null, to: 'true', ...importer }]);
    expect(created[0].actorId).toBe(job.id);
  });

  it('merge: the target records what it takes over from its duplicates', async () => {
    const target = await create({ firstName: 'Twin', lastName: 'One' });
    const source = await create({ firstName: 'Twin', lastName: 'Two', marketingConsent: 'GRANTED', doNotCall: true });
    const res = await ws.ok(
      `mutation($input: MergeInput!) { mergeContacts(input: $input) { contact { id marketingConsent doNotCall } userErrors { field message } } }`,
      { input: { targetId: target.id, sourceIds: [source.id] } },
    );
    expect(res.mergeContacts).toMatchObject({ userErrors: [], contact: { marketingConsent: 'GRANTED', doNotCall: true } });
    const merged = await changes(target.id);
    expect(merged.map((c: { field: string }) => c.field).sort()).toEqual(['DO_NOT_CALL', 'MARKETING_CONSENT']);
    for (const change of merged)
      expect(change).toMatchObject({
        actorKind: 'USER',
        actorId: toGlobalId('User', ws.userId),
        source: `merge of contacts ${parseGlobalId(source.id)!.id}`,
      });
  });

  it('automation: a rule that sets a flag is the actor', async () => {
    const ruleId = await makeRule(ws, {
      name: 'Churned means do not contact',
      definition: {
        trigger: { type: 'event', event: 'contact.lifecycleChanged', field: 'lifecycleStage', to: 'CHURNED' },
        actions: [{ type: 'updateFields', fields: { doNotContact: true } }],
      },
    });
    const c = await create({ firstName: 'Gone' });
    await ws.ok(UPDATE, { input: { id: c.id, version: c.version, lifecycleStage: 'CHURNED' } });
    const flagged = async () => (await history(c.id)).totalCount === 1;
    await tickUntil(clock, until(flagged), 1000);
    expect(await changes(c.id)).toEqual([
      {
        field: 'DO_NOT_CONTACT',
        from: 'false',
        to: 'true',
        actorKind: 'AUTOMATION',
        actorId: ruleId,
        source: 'automation rule "Churned means do not contact"',
        legalBasis: null,
      },
    ]);
  });

  it('SDK: a plugin records an unsubscribe with its own actor; a refused actor writes nothing', async () => {
    const c = await create({ firstName: 'Reader', marketingConsent: 'GRANTED' });
    const unsubscribe = (input: Record<string, unknown>) =>
      withWorkspace(server.appOrm, ws.id, async (em) => {
        const ctx = await requestContextAs(em, ws.id, null);
        return changeContactConsent(ctx, { contactId: c.id, ...input } as never);
      });
    await unsubscribe({
      marketingConsent: 'WITHDRAWN',
      doNotEmail: true,
      actor: { kind: ConsentActorKind.UNSUBSCRIBE, id: 'campaign:winter-2026' },
      consentSource: 'unsubscribe link of "Winter sale"',
    });
    const rows = await changes(c.id);
    expect(rows.slice(0, 2)).toEqual(
      expect.arrayContaining([
        {
          field: 'MARKETING_CONSENT',
          from: 'GRANTED',
          to: 'WITHDRAWN',
          actorKind: 'UNSUBSCRIBE',
          actorId: 'campaign:winter-2026',
          source: 'unsubscribe link of "Winter sale"',
          legalBasis: null,
        },
        expect.objectContaining({ field: 'DO_NOT_EMAIL', from: 'false', to: 'true', actorKind: 'UNSUBSCRIBE' }),
      ]),
    );

    const before = await consentRows();
    await expect(unsubscribe({ doNotCall: true, actor: { kind: ConsentActorKind.USER, id: ws.userId } })).rejects.toThrow();
    await expect(unsubscribe({ doNotCall: true, actor: { kind: ConsentActorKind.SYSTEM, id: 'x\u0000' } })).rejects.toThrow();
    await expect(unsubscribe({ doNotCall: true, actor: { kind: 'NOBODY' } })).rejects.toThrow();
    expect(await consentRows()).toBe(before);
  });

  it('purging a contact purges its history', async () => {
    const c = await create({ firstName: 'Short', doNotCall: true });
    const id = parseGlobalId(c.id)!.id;
    await ws.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { message } } }`, { id: c.id });
    await ws.ok(`mutation($id: ID!) { purgeContact(id: $id) { userErrors { message } } }`, { id: c.id });
    const left = await server.orm.em.getConnection().execute(`select id from consent_change where contact_id = ?`, [id]);
    expect(left).toEqual([]);
  });
});
