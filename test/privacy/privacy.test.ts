import { TestClock } from 'pg-boss';
import { randomUUID } from 'node:crypto';
import pipeline from '../../plugins/pipeline/plugin.js';
import loyalty from '../../examples/loyalty/plugin.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { startPluginServer, tickUntil, until, type PluginTestServer, type PluginTestWorkspace } from '../../src/sdk/testing.js';
import type { SqlOrm, TestServer } from '../support/harness.js';
import { makeEndpoint } from '../webhooks/helpers.js';
import { Receiver } from '../webhooks/receiver.js';
import { TestSmtp } from '../email/smtp.js';
import { countRuns, makeRule } from '../automation/helpers.js';
import { createPipeline } from '../plugins/pipeline/helpers.js';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { isEmailSuppressed } from '../../src/sdk/index.js';
import { PluginLoadError, readKernelVersion, validatePlugins } from '../../src/plugin-host/load-plugins.js';
import { kernelResolvers, kernelRuleDeclarations } from '../../src/app/kernel-graphql.js';
import { kernelEntities } from '../../src/app/kernel-entities.js';

/**
 * Privacy requests end to end: a contact touched by every built-in part (emails, phones, address, custom fields, tags,
 * an activity with a comment, a deal role in the pipeline plugin, an automation run that created a task, sent an email,
 * notified a member and called a webhook, webhook deliveries of its events, the search index) is exported, then
 * anonymized or deleted — and the whole database is scanned for what identified the person.
 */
const clock = new TestClock(Date.now());
let server: PluginTestServer;
let receiver: Receiver;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await new TestSmtp().start();
  // a database of its own (PostgreSQL): the pipeline plugin's tables are not in the shared test database
  server = await startPluginServer([pipeline, loyalty], {
    env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', SMTP_URL: smtp.url, MAIL_FROM: 'Acme CRM <crm@acme.example>' },
    jobQueue: { clock, automation: true, webhooks: true, email: true },
  });
  receiver = await new Receiver().start();
  await server.startOutboxWorker();
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  await server?.close();
  await smtp?.close();
});

const EXPORT = `query($id: ID!) { exportPersonalData(contactId: $id) }`;
const ERASE = `mutation($id: ID!, $mode: ErasureMode!) {
  erasePersonalData(contactId: $id, mode: $mode) { contactId mode erasedAt sections { section rows } userErrors { field message code } }
}`;

interface Person {
  first: string;
  last: string;
  email: string;
  work: string;
  /** The address of a duplicate merged into the contact. */
  dup: string;
  phone: string;
  street: string;
}

const asTestServer = () => server as unknown as TestServer;
const sqlOf = (_server?: unknown) => (server.orm as SqlOrm).em.getConnection();
const countRows = async (table: string, workspaceId: string) =>
  Number((await sqlOf().execute<{ n: number }[]>(`select count(*)::int as n from "${table}" where workspace_id = ?`, [workspaceId]))[0]!.n);

/** Distinctive values nothing else in the database holds. */
function person(): Person {
  const n = randomUUID().replaceAll('-', '').slice(0, 6);
  const digits = String(Number.parseInt(n, 16) % 10_000).padStart(4, '0');
  return {
    first: `Zyxwervanthe${n}`,
    last: `Quolmbrigast${n}`,
    email: `zyx.${n}@quolm.example`,
    work: `z${n}@work-quolm.example`,
    dup: `zyx.${n}.old@quolm.example`,
    phone: `+44 20 7946 ${digits}`,
    street: `${n} Vandermolen Crescent`,
  };
}

/** Every text, varchar, json, jsonb and array column of every table of the schema, as text: the rows holding `value`. */
async function scanDatabase(value: string): Promise<string[]> {
  const sql = sqlOf(server);
  const columns = await sql.execute<{ table_name: string; column_name: string }[]>(
    `select c.table_name, c.column_name from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = current_schema() and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')`,
  );
  expect(columns.length).toBeGreaterThan(100);
  const hits: string[] = [];
  for (const { table_name, column_name } of columns) {
    const [row] = await sql.execute<{ n: number }[]>(
      `select count(*)::int as n from "${table_name}" where "${column_name}"::text ilike ?`,
      [`%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
    );
    if (Number(row!.n) > 0) hits.push(`${table_name}.${column_name}`);
  }
  return hits;
}

const identifying = (p: Person) => [p.first, p.last, p.email, p.work, p.dup, p.phone, p.phone.replace(/\D/g, ''), p.street];

async function scanFor(p: Person): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const value of identifying(p)) {
    const hits = await scanDatabase(value);
    if (hits.length) found[value] = hits;
  }
  return found;
}

interface Setup {
  ws: PluginTestWorkspace;
  p: Person;
  contactId: string;
  dealId: string;
  activityId: string;
}

/** A workspace with its automation, a webhook endpoint, a pipeline, and one person touched by all of it. */
async function setUp(): Promise<Setup> {
  const ws = await server.newWorkspace();
  // the example third-party plugin too: it keeps a loyalty balance per contact
  await ws.enable('acme-loyalty');
  const p = person();
  const member = await ws.addMember('Sam Sales');
  await ws.ok(
    `mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { customField { id } userErrors { message } } }`,
    {
      input: { objectType: 'Contact', key: 'nickname', label: 'Nickname', type: 'TEXT' },
    },
  );
  const tag = await ws.ok(`mutation { createTag(input: { name: "VIP" }) { tag { id } userErrors { message } } }`);
  await makeEndpoint(ws as never, { url: receiver.url('/crm'), eventTypes: ['contact.*', 'automation.webhook', 'deal.*'] });
  const endpoint = await makeEndpoint(ws as never, { url: receiver.url('/automation'), eventTypes: ['automation.webhook'] });
  await ws.ok(
    `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { template { id } userErrors { message } } }`,
    {
      input: {
        key: 'welcome',
        name: 'Welcome',
        subject: 'Welcome {{ contact.firstName }}',
        html: '<p>Dear {{ contact.firstName }} {{ contact.lastName }}</p>',
      },
    },
  );
  const ruleId = await makeRule(ws as never, {
    name: 'New customer',
    definition: {
      trigger: { type: 'event', event: 'contact.lifecycleChanged', field: 'lifecycleStage', to: 'CUSTOMER' },
      actions: [
        { type: 'createTask', subject: 'Welcome call with {{ record.firstName }} {{ record.lastName }}', dueInDays: 2 },
        { type: 'sendEmail', templateKey: 'welcome' },
        { type: 'notify', to: [toGlobalId('User', member.id)], title: 'New customer: {{ record.firstName }} {{ record.lastName }}' },
        { type: 'callWebhook', endpointId: endpoint.id, data: { who: '{{ record.firstName }}' } },
      ],
    },
  });
  const created = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id version } userErrors { field message } } }`,
    {
      input: {
        firstName: p.first,
        lastName: p.last,
        emails: [
          { email: p.email, primary: true },
          { email: p.work, label: 'work' },
        ],
        phones: [{ number: p.phone }],
        address: { street: p.street, city: 'Leeds', country: 'gb' },
        customFields: { nickname: `${p.first} the Bold` },
        tagIds: [tag.createTag.tag.id],
      },
    },
  );
  expect(created.createContact.userErrors).toEqual([]);
  const contactId = created.createContact.contact.id;
  // a duplicate of the same person, merged into it: it stays in the trash with its own copy of the values
  const duplicate = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { field message } } }`,
    { input: { firstName: p.first, lastName: p.last, emails: [{ email: p.dup, primary: true }] } },
  );
  const merged = await ws.ok(
    `mutation($input: MergeInput!) { mergeContacts(input: $input) { contact { version } userErrors { field message } } }`,
    {
      input: { targetId: contactId, sourceIds: [duplicate.createContact.contact.id] },
    },
  );
  expect(merged.mergeContacts.userErrors).toEqual([]);
  const activity = await ws.ok(
    `mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id } userErrors { message } } }`,
    {
      input: { type: 'CALL', subject: `Call with ${p.first} ${p.last}`, body: `Reach at ${p.email} or ${p.phone}`, targetIds: [contactId] },
    },
  );
  const activityId = activity.logActivity.activity.id;
  await ws.ok(`mutation($input: AddCommentInput!) { addComment(input: $input) { comment { id } userErrors { message } } }`, {
    input: { activityId, body: `${p.first} asked for a callback` },
  });
  const pipe = await createPipeline(ws);
  const deal = await ws.ok(`mutation($i: CreateDealInput!) { createDeal(input: $i) { deal { id } userErrors { field message } } }`, {
    i: { name: `Rollout for ${p.last}`, pipelineId: pipe.id, contacts: [{ contactId, role: 'Champion', isPrimary: true }] },
  });
  expect(deal.createDeal.userErrors).toEqual([]);
  const updated = await ws.ok(
    `mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { version } userErrors { message } } }`,
    { input: { id: contactId, version: merged.mergeContacts.contact.version, lifecycleStage: 'CUSTOMER' } },
  );
  expect(updated.updateContact.userErrors).toEqual([]);

  // the rule ran, the email went out, every webhook delivery was attempted: nothing in flight when the erasure runs
  const sql = sqlOf(server);
  const settled = async () =>
    (await countRuns(asTestServer(), ruleId, 'succeeded')) === 1 &&
    (await quiet(ws.id)) &&
    (await countRows('loyalty_account', ws.id)) === 1;
  await tickUntil(clock, until(settled), 1000);
  expect(smtp.to(p.email)).toHaveLength(1);
  const [attempts] = await sql.execute<{ n: number }[]>(
    `select count(*)::int as n from webhook_attempt where workspace_id = ? and request_body ilike ?`,
    [ws.id, `%${p.first}%`],
  );
  expect(attempts!.n).toBeGreaterThan(0);
  return { ws, p, contactId, dealId: deal.createDeal.deal.id, activityId };
}

/** No webhook delivery, email or event delivery of the workspace is still to be done. */
async function quiet(workspaceId: string): Promise<boolean> {
  const [pending] = await sqlOf().execute<{ n: number }[]>(
    `select (select count(*) from webhook_delivery where workspace_id = ? and status not in ('succeeded', 'dead'))
          + (select count(*) from email_message where workspace_id = ? and status = 'queued')
          + (select count(*) from outbox_delivery d join outbox_event e on e.id = d.event_id where e.workspace_id = ? and d.status <> 'delivered') as n`,
    [workspaceId, workspaceId, workspaceId],
  );
  return Number(pending!.n) === 0;
}

/** Row counts of what a refused request must not touch. */
async function footprint(ws: PluginTestWorkspace) {
  const out: Record<string, number> = {};
  for (const table of [
    'contact',
    'audit_log',
    'privacy_erasure',
    'email_suppression',
    'activity',
    'email_message',
    'deal_contact',
    'outbox_event',
  ])
    out[table] = await countRows(table, ws.id);
  const [changed] = await sqlOf(server).execute<{ v: string }[]>(
    `select coalesce(string_agg(md5(c::text), ',' order by c.id), '') as v from contact c where workspace_id = ?`,
    [ws.id],
  );
  out.contactRows = changed!.v.length;
  return { counts: out, digest: changed!.v };
}

let shared: Setup;
beforeAll(async () => {
  shared = await setUp();
}, 120_000);

test('an export holds the kernel fields, emails, phones, custom fields, tags, activities, comments, sends, runs, audit and each plugin’s part', async () => {
  const { ws, p, contactId } = shared;
  const { exportPersonalData: doc } = await ws.ok(EXPORT, { id: contactId });
  expect(doc.contactId).toBe(contactId);
  expect(doc.contact).toMatchObject({
    firstName: p.first,
    lastName: p.last,
    primaryEmail: p.email,
    emails: expect.arrayContaining([
      expect.objectContaining({ email: p.email }),
      expect.objectContaining({ email: p.work }),
      expect.objectContaining({ email: p.dup }),
    ]),
    phones: [expect.objectContaining({ number: p.phone })],
    address: expect.objectContaining({ street: p.street }),
    lifecycleStage: 'CUSTOMER',
    customFields: [{ key: 'nickname', label: 'Nickname', value: `${p.first} the Bold` }],
    tags: ['VIP'],
  });
  expect(doc.mergedContacts).toEqual([expect.objectContaining({ firstName: p.first, primaryEmail: p.dup, deletedAt: expect.any(String) })]);
  const subjects = doc.activities.map((a: any) => a.subject).sort();
  expect(subjects).toEqual([`Call with ${p.first} ${p.last}`, `Welcome call with ${p.first} ${p.last}`].sort());
  const call = doc.activities.find((a: any) => a.subject.startsWith('Call with'));
  expect(call.comments.map((c: any) => c.body)).toEqual([`${p.first} asked for a callback`]);
  expect(doc.emailMessages).toEqual([expect.objectContaining({ toAddress: p.email, subject: `Welcome ${p.first}`, status: 'sent' })]);
  expect(doc.automationRuns).toEqual([expect.objectContaining({ ruleName: 'New customer', status: 'succeeded' })]);
  expect(doc.auditEntries.map((e: any) => e.action)).toEqual(expect.arrayContaining(['contact.created', 'contact.updated']));
  expect(doc.plugins.pipeline).toEqual({
    enabled: true,
    data: { deals: [expect.objectContaining({ name: `Rollout for ${p.last}`, role: 'Champion', isPrimary: true, stage: 'Lead' })] },
  });

  expect(doc.plugins['acme-loyalty']).toEqual({
    enabled: true,
    data: { accounts: [expect.objectContaining({ contact_id: parseGlobalId(contactId)!.id, points: 2 })] },
  });

  // the export is audited: who exported which contact, nothing more
  const [entry] = await sqlOf(server).execute<any[]>(
    `select actor_user_id, object_id, changes from audit_log where workspace_id = ? and action = 'contact.personalDataExported' order by occurred_at desc limit 1`,
    [ws.id],
  );
  expect(entry).toEqual({ actor_user_id: ws.userId, object_id: parseGlobalId(contactId)!.id, changes: null });

  // a disabled plugin's data is still personal data: its part is exported, marked disabled
  await ws.ok(`mutation { disableModule(input: { id: "pipeline" }) { userErrors { message } } }`);
  try {
    const { exportPersonalData: again } = await ws.ok(EXPORT, { id: contactId });
    expect(again.plugins.pipeline.enabled).toBe(false);
    expect(again.plugins.pipeline.data.deals).toHaveLength(1);
  } finally {
    await ws.ok(`mutation { enableModule(input: { id: "pipeline" }) { userErrors { message } } }`);
  }

  // the HTTP route streams the same document
  const response = await server.app.http.inject({
    method: 'GET',
    url: `/privacy/contacts/${encodeURIComponent(contactId)}/export`,
    headers: ws.headers,
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('application/json');
  const streamed = JSON.parse(response.body);
  expect(Object.keys(streamed)).toEqual(Object.keys(doc));
  expect(streamed.contact).toEqual(doc.contact);
  expect(streamed.activities).toEqual(doc.activities);
  expect(streamed.plugins).toEqual(doc.plugins);
});

test('ANONYMIZE: no column of any table holds the former name, addresses, phone or street; the deal, the send and the activities stay', async () => {
  const { ws, p, contactId, dealId } = shared;
  // before: the scan finds them (so it can fail)
  const before = await scanFor(p);
  expect(Object.keys(before).sort()).toEqual(identifying(p).sort());
  expect(before[p.email]).toEqual(
    expect.arrayContaining(['contact.emails', 'audit_log.changes', 'outbox_event.payload', 'email_message.to_address']),
  );

  const { erasePersonalData: result } = await ws.ok(ERASE, { id: contactId, mode: 'ANONYMIZE' });
  expect(result.userErrors).toEqual([]);
  expect(result.contactId).toBe(contactId);
  const sections = Object.fromEntries(result.sections.map((s: any) => [s.section, s.rows]));
  expect(sections).toMatchObject({ contact: 2, emailMessages: 1, suppressedEmails: 3, 'plugin:pipeline': 1 });
  expect(sections.auditEntries).toBeGreaterThan(0);

  expect(await scanFor(p)).toEqual({});

  // aggregates stay honest: the contact, its deal role, the send, the activities are still there
  const sql = sqlOf(server);
  const raw = parseGlobalId(contactId)!.id;
  const [contact] = await sql.execute<any[]>(`select first_name, emails, lifecycle_stage, do_not_contact from contact where id = ?`, [raw]);
  expect(contact).toEqual({ first_name: null, emails: [], lifecycle_stage: 'CUSTOMER', do_not_contact: true });
  const { deal } = await ws.ok(`query($id: ID!) { deal(id: $id) { name contacts { role isPrimary contact { id } } } }`, { id: dealId });
  expect(deal).toEqual({ name: 'Rollout for [erased]', contacts: [{ role: 'Champion', isPrimary: true, contact: { id: contactId } }] });
  expect(await countRows('email_message', ws.id)).toBe(1);
  expect(await countRows('activity', ws.id)).toBe(2);
  const { search } = await ws.ok(`query($q: String!) { search(query: $q, first: 5) { score } }`, { q: p.email });
  expect(search).toEqual([]);

  // the audit log keeps that it happened — who, when, which contact, how — without a value; its rows are all still there
  const [erased] = await sql.execute<any[]>(
    `select actor_user_id, object_id, changes, metadata from audit_log where workspace_id = ? and action = 'contact.personalDataErased'`,
    [ws.id],
  );
  expect(erased).toMatchObject({ actor_user_id: ws.userId, object_id: raw, changes: null, metadata: { mode: 'ANONYMIZE' } });
  const [created] = await sql.execute<any[]>(
    `select changes, metadata from audit_log where workspace_id = ? and action = 'contact.created'`,
    [ws.id],
  );
  expect(created.changes.firstName).toEqual({ before: '[erased]', after: '[erased]' });
  expect(created.changes.lifecycleStage).toBeDefined();
  expect(created.metadata.personalDataErased).toBe(true);
  // and stays append-only for everyone else
  await expect(sql.execute(`update audit_log set action = 'x' where workspace_id = ?`, [ws.id])).rejects.toThrow(/append-only/);
  await expect(sql.execute(`delete from audit_log where workspace_id = ?`, [ws.id])).rejects.toThrow(/append-only/);
  // even the owner with the redaction flag may change only the values, never who, when or what
  await expect(
    (server.orm as SqlOrm).em.fork().transactional(async (em) => {
      await em.execute(`select set_config('app.audit_redaction', 'on', true)`);
      await em.execute(`update audit_log set ip = 'x' where workspace_id = ?`, [ws.id]);
    }),
  ).rejects.toThrow(/append-only/);

  // a second erasure of the same record is a CONFLICT that changes nothing
  const untouched = await footprint(ws);
  const { erasePersonalData: again } = await ws.ok(ERASE, { id: contactId, mode: 'ANONYMIZE' });
  expect(again).toMatchObject({ contactId: null, sections: [], userErrors: [{ field: ['contactId'], code: 'CONFLICT' }] });
  expect(await footprint(ws)).toEqual(untouched);

  // the erased address does not come back: not as a new contact, not on an existing one
  const { createContact } = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { field message code } } }`,
    { input: { firstName: 'Someone', emails: [{ email: ` ${p.email.toUpperCase()} `, primary: true }] } },
  );
  expect(createContact).toMatchObject({ contact: null, userErrors: [{ field: ['emails', '0', 'email'], code: 'CONFLICT' }] });
  expect(await footprint(ws)).toEqual(untouched);
  const someone = await ws.ok(
    `mutation { createContact(input: { firstName: "Someone" }) { contact { id version } userErrors { message } } }`,
  );
  const afterCreate = await footprint(ws);
  const { updateContact } = await ws.ok(
    `mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { id } userErrors { field message code } } }`,
    {
      input: {
        id: someone.createContact.contact.id,
        version: someone.createContact.contact.version,
        emails: [{ email: 'fine@example.com' }, { email: p.work, primary: true }],
      },
    },
  );
  expect(updateContact).toMatchObject({ contact: null, userErrors: [{ field: ['emails', '1', 'email'], code: 'CONFLICT' }] });
  expect(await footprint(ws)).toEqual(afterCreate);

  // plugins (campaigns) ask the SDK
  const suppressed = (email: string) =>
    withWorkspace(server.appOrm, ws.id, (em) => isEmailSuppressed({ em, principal: { workspaceId: ws.id } } as never, email));
  expect(await suppressed(`  ${p.work.toUpperCase()}`)).toBe(true);
  expect(await suppressed('fine@example.com')).toBe(false);
  // the list holds hashes, not addresses (the scan above found none)
  const hashes = await sqlOf().execute<{ email_hash: string }[]>('select email_hash from email_suppression where workspace_id = ?', [
    ws.id,
  ]);
  expect(hashes.map((h) => h.email_hash)).toEqual(expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{64}$/)]));
});

test('a purged contact is gone, but its values in the purge’s audit entry and events can still be erased', async () => {
  const ws = await server.newWorkspace();
  const p = person();
  const { createContact } = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { message } } }`,
    { input: { firstName: p.first, lastName: p.last, emails: [{ email: p.email, primary: true }], phones: [{ number: p.phone }] } },
  );
  const id = createContact.contact.id;
  await ws.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { message } } }`, { id });
  await ws.ok(`mutation($id: ID!) { purgeContact(id: $id) { userErrors { message } } }`, { id });
  expect((await scanFor(p))[p.email]).toEqual(expect.arrayContaining(['audit_log.changes', 'outbox_event.payload']));
  // nothing to export: the record is gone
  expect((await ws.gql(EXPORT, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

  const { erasePersonalData } = await ws.ok(ERASE, { id, mode: 'DELETE' });
  expect(erasePersonalData.userErrors).toEqual([]);
  expect(Object.fromEntries(erasePersonalData.sections.map((s: any) => [s.section, s.rows]))).toMatchObject({ suppressedEmails: 1 });
  expect(erasePersonalData.sections.find((s: any) => s.section === 'contact')).toBeUndefined();
  const remaining = await scanFor(p);
  // the erasure's own event, just queued, names the contact and the mode: nothing else
  expect(remaining).toEqual({});
  const events = await sqlOf().execute<{ payload: unknown }[]>(
    `select payload from outbox_event where workspace_id = ? and type = 'contact.personalDataErased'`,
    [ws.id],
  );
  expect(events.map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload))).toEqual([
    { id: parseGlobalId(id)!.id, mode: 'DELETE' },
  ]);
  const { erasePersonalData: again } = await ws.ok(ERASE, { id, mode: 'DELETE' });
  expect(again.userErrors).toEqual([expect.objectContaining({ code: 'CONFLICT' })]);
});

test('a large export streams page by page over HTTP and holds every row', async () => {
  const ws = await server.newWorkspace();
  const { createContact } = await ws.ok(
    `mutation { createContact(input: { firstName: "Busy", emails: [{ email: "busy@example.com", primary: true }] }) { contact { id } userErrors { message } } }`,
  );
  const raw = parseGlobalId(createContact.contact.id)!.id;
  const N = 1234; // more than two pages of 500
  await sqlOf().execute(
    `with a as (
       insert into activity (id, workspace_id, created_at, updated_at, version, type, subject, occurred_at)
       select gen_random_uuid(), ?, now(), now(), 1, 'NOTE', 'Note ' || i, now() - i * interval '1 minute' from generate_series(1, ?) as i
       returning id, occurred_at)
     insert into timeline_link (id, workspace_id, created_at, updated_at, target_type, target_id, entry_kind, entry_id, entry_type, occurred_at)
     select gen_random_uuid(), ?, now(), now(), 'Contact', ?, 'activity', a.id, 'NOTE', a.occurred_at from a`,
    [ws.id, N, ws.id, raw],
  );
  const response = await server.app.http.inject({
    method: 'GET',
    url: `/privacy/contacts/${encodeURIComponent(createContact.contact.id)}/export`,
    headers: ws.headers,
  });
  expect(response.statusCode).toBe(200);
  const doc = JSON.parse(response.body);
  expect(doc.activities).toHaveLength(N);
  expect(new Set(doc.activities.map((a: any) => a.id)).size).toBe(N);
  expect(doc.contact.primaryEmail).toBe('busy@example.com');
});

test('start-up refuses a malformed privacy handler', () => {
  const noop = async () => ({});
  const refusal = (privacy: unknown) => {
    try {
      validatePlugins(
        [{ manifest: { id: 'leaky', name: 'leaky', version: '1.0.0', kernel: '^1.0.0', privacy }, source: 'x', builtin: true }],
        {
          version: readKernelVersion(),
          entities: kernelEntities,
          rules: kernelRuleDeclarations,
          resolvers: kernelResolvers,
        },
      );
    } catch (error) {
      return (error as PluginLoadError).problems;
    }
    return [];
  };
  expect(refusal({ export: noop, anonymize: noop, delete: noop })).toEqual([]);
  expect(refusal({ export: noop })).toEqual(['leaky: privacy.anonymize is not a function', 'leaky: privacy.delete is not a function']);
  expect(refusal({ export: noop, anonymize: noop, delete: noop, forget: noop })[0]).toMatch(/privacy/);
});

test('DELETE: the contact’s own rows are gone, shared ones stay without them, and re-importing the address is refused as suppressed', async () => {
  const { ws, p, contactId, dealId, activityId } = await setUp();
  // another contact shares the call: the activity stays for them, without the erased person
  const other = await ws.ok(
    `mutation { createContact(input: { firstName: "Olive", lastName: "Other" }) { contact { id } userErrors { message } } }`,
  );
  const otherId = other.createContact.contact.id;
  const shared = await ws.ok(
    `mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id } userErrors { message } } }`,
    { input: { type: 'MEETING', subject: `Lunch with ${p.first} and Olive`, targetIds: [contactId, otherId] } },
  );
  const sharedId = parseGlobalId(shared.logActivity.activity.id)!.id;
  // its subscribers (loyalty points for both) are done before the erasure: nothing in flight writes about the person after
  await tickUntil(
    clock,
    until(async () => (await countRows('loyalty_account', ws.id)) === 2 && (await quiet(ws.id))),
    1000,
  );

  const { erasePersonalData: result } = await ws.ok(ERASE, { id: contactId, mode: 'DELETE' });
  expect(result.userErrors).toEqual([]);
  const sections = Object.fromEntries(result.sections.map((s: any) => [s.section, s.rows]));
  expect(sections).toMatchObject({
    contact: 2,
    activities: 3,
    comments: 1,
    emailMessages: 1,
    automationRuns: 1,
    tags: 1,
    'plugin:pipeline': 2,
    'plugin:acme-loyalty': 1,
  });

  const sql = sqlOf(server);
  const raw = parseGlobalId(contactId)!.id;
  const count = async (q: string, params: unknown[]) =>
    Number((await sql.execute<{ n: number }[]>(`select count(*)::int as n from ${q}`, params))[0]!.n);
  expect(await count('contact where id = ?', [raw])).toBe(0);
  expect(await count('contact_tag where contact_id = ?', [raw])).toBe(0);
  expect(await count('deal_contact where contact_id = ?', [raw])).toBe(0);
  expect(await count('loyalty_account where contact_id = ?', [raw])).toBe(0);
  expect(await count('timeline_link where target_id = ?', [raw])).toBe(0);
  expect(await count('activity where id = ?', [parseGlobalId(activityId)!.id])).toBe(0);
  expect(await count('email_message where workspace_id = ?', [ws.id])).toBe(0);
  expect(await count('automation_run where record_id = ?', [raw])).toBe(0);
  // the deal (also the workspace's, not only theirs) stays; the shared meeting stays, on the other contact's timeline
  expect(await count('deal where id = ?', [parseGlobalId(dealId)!.id])).toBe(1);
  const [meeting] = await sql.execute<any[]>(`select subject from activity where id = ?`, [sharedId]);
  expect(meeting.subject).toBe('Lunch with [erased] and Olive');
  expect(await count('timeline_link where entry_id = ? and target_id = ?', [sharedId, parseGlobalId(otherId)!.id])).toBe(1);
  expect(await scanFor(p)).toEqual({});

  // re-importing the erased address is refused row by row, naming no address; the other row goes in
  const csv = `firstName,lastName,email\nBack,Again,${p.email.toUpperCase()}\nNew,Person,new.${randomUUID().slice(0, 6)}@example.com\n`;
  const response = await server.app.http.inject({
    method: 'POST',
    url: '/imports/contacts',
    headers: { ...ws.headers, 'content-type': 'text/csv' },
    payload: csv,
  });
  expect(response.statusCode).toBe(200);
  expect(JSON.parse(response.body)).toMatchObject({ status: 'COMPLETED', createdCount: 1, failedCount: 1 });
  const errors = await sql.execute<any[]>(`select row_number, field, code, message from import_row_error where workspace_id = ?`, [ws.id]);
  expect(errors).toEqual([{ row_number: 2, field: 'email', code: 'SUPPRESSED', message: expect.stringContaining('suppressed') }]);
  expect(await scanFor(p)).toEqual({});

  // erasing it again: CONFLICT (the record of the erasure outlives the contact), nothing changes
  const untouched = await footprint(ws);
  for (const mode of ['DELETE', 'ANONYMIZE']) {
    const { erasePersonalData: again } = await ws.ok(ERASE, { id: contactId, mode });
    expect(again.userErrors).toEqual([expect.objectContaining({ code: 'CONFLICT' })]);
  }
  const exported = await ws.gql(EXPORT, { id: contactId });
  expect(exported.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  expect(await footprint(ws)).toEqual(untouched);
}, 120_000);

test('unknown, foreign, malformed contacts and callers without privacy:manage get typed errors and change nothing', async () => {
  const { ws, contactId } = shared;
  const foreign = await server.newWorkspace();
  const { createContact } = await foreign.ok(
    `mutation { createContact(input: { firstName: "Foreign", emails: [{ email: "foreign@elsewhere.example", primary: true }] }) { contact { id } userErrors { message } } }`,
  );
  const foreignId = createContact.contact.id;
  const manager = await ws.addMember('Mia Manager', 'MANAGER' as never);
  const before = await footprint(ws);
  const beforeForeign = await footprint(foreign);

  const cases: [string, string, Record<string, string>][] = [
    ['unknown contact', toGlobalId('Contact', randomUUID()), ws.headers],
    ['another workspace’s contact', foreignId, ws.headers],
    ['not a contact id', toGlobalId('Company', randomUUID()), ws.headers],
  ];
  for (const [name, id, headers] of cases) {
    const exported = await server.gql(EXPORT, { id }, headers);
    expect([name, exported.errors?.[0]?.extensions?.code]).toEqual([name, expect.stringMatching(/NOT_FOUND|BAD_USER_INPUT/)]);
    for (const mode of ['ANONYMIZE', 'DELETE']) {
      const erased = await server.gql(ERASE, { id, mode }, headers);
      expect([name, erased.data?.erasePersonalData.userErrors[0]?.code]).toEqual([name, expect.stringMatching(/NOT_FOUND|BAD_USER_INPUT/)]);
    }
    const http = await server.app.http.inject({ method: 'GET', url: `/privacy/contacts/${encodeURIComponent(id)}/export`, headers });
    expect([name, http.statusCode]).toEqual([name, expect.any(Number)]);
    expect(http.statusCode).toBeGreaterThanOrEqual(400);
  }
  // another workspace's contact is exactly as unknown as a missing one
  const unknown = await server.gql(ERASE, { id: toGlobalId('Contact', randomUUID()), mode: 'DELETE' }, ws.headers);
  const foreignOne = await server.gql(ERASE, { id: foreignId, mode: 'DELETE' }, ws.headers);
  expect(foreignOne.data?.erasePersonalData.userErrors).toEqual(unknown.data?.erasePersonalData.userErrors);

  // hostile ids: NUL, control characters, huge
  for (const id of ['\u0000', 'Q29udGFjdDo\u0007', 'x'.repeat(100_000)]) {
    const res = await server.gql(ERASE, { id, mode: 'DELETE' }, ws.headers);
    expect(res.data?.erasePersonalData.userErrors[0]?.code ?? res.errors?.[0]?.extensions?.code).toMatch(/NOT_FOUND|BAD_USER_INPUT/);
  }

  // a member without privacy:manage: FORBIDDEN, on GraphQL and over HTTP
  const forbiddenExport = await server.gql(EXPORT, { id: contactId }, manager.headers);
  expect(forbiddenExport.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const forbiddenErase = await server.gql(ERASE, { id: foreignId, mode: 'DELETE' }, manager.headers);
  expect(forbiddenErase.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const forbiddenHttp = await server.app.http.inject({
    method: 'GET',
    url: `/privacy/contacts/${encodeURIComponent(contactId)}/export`,
    headers: manager.headers,
  });
  expect(forbiddenHttp.statusCode).toBe(403);
  // an admin API key whose allowlist hides contacts' emails: the document is whole or nothing
  const key = await ws.ok(
    `mutation { createApiKey(input: { name: "narrow", role: "ADMIN", fieldAllowlist: { Contact: ["phones"] } }) { secret userErrors { message } } }`,
  );
  const narrow = { authorization: `Bearer ${key.createApiKey.secret}` };
  const narrowExport = await server.gql(EXPORT, { id: contactId }, narrow);
  expect(narrowExport.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const narrowHttp = await server.app.http.inject({
    method: 'GET',
    url: `/privacy/contacts/${encodeURIComponent(contactId)}/export`,
    headers: narrow,
  });
  expect(narrowHttp.statusCode).toBe(403);
  const anonymous = await server.app.http.inject({ method: 'GET', url: `/privacy/contacts/${encodeURIComponent(contactId)}/export` });
  expect(anonymous.statusCode).toBe(401);

  const keyAudit = 1; // createApiKey's own audit entry
  expect(await footprint(ws)).toEqual({ ...before, counts: { ...before.counts, audit_log: before.counts.audit_log! + keyAudit } });
  expect(await footprint(foreign)).toEqual(beforeForeign);
});
