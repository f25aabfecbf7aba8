import { TestClock } from 'pg-boss';
import { OutboxWorker } from '../../src/events/outbox-worker.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { tickUntil } from '../../src/sdk/testing.js';
import { startTestServer, type TestServer } from '../support/harness.js';
import { makeEndpoint } from '../webhooks/helpers.js';
import { Receiver, verify } from '../webhooks/receiver.js';
import { TestSmtp } from '../email/smtp.js';
import { countRuns, createContact, makeRule, makeTeam, runsOf, sqlOf, until, updateContact, UPDATE_RULE } from './helpers.js';

/**
 * Automation rules end to end, nothing called directly: writes through GraphQL → the outbox → the `kernel/automation`
 * subscriber starts runs → run jobs on the real queue → kernel services (tasks, owners, tags) and a webhook delivered
 * to a real receiver that checks the signature itself. Time moves with pg-boss's TestClock; nothing sleeps for it.
 */
const clock = new TestClock(Date.now());
let server: TestServer;
let receiver: Receiver;
let outbox: OutboxWorker;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await new TestSmtp().start();
  server = await startTestServer({
    env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', SMTP_URL: smtp.url, MAIL_FROM: 'Acme CRM <crm@acme.example>' },
    queue: { clock, webhooks: true, automation: true, email: true },
  });
  receiver = await new Receiver().start();
  outbox = new OutboxWorker({ orm: server.appOrm, pollMs: 20, backoffBaseMs: 20, leaseMarginMs: 1000 }).start();
}, 60_000);
afterAll(async () => {
  await outbox?.stop(1000);
  await receiver?.close();
  await server?.close();
  await smtp?.close();
});

const DAY = 86_400_000;

test('a lifecycle change assigns round robin, creates a task, emails, notifies, calls a webhook, waits 2 days, then tags', async () => {
  const ws = await server.newWorkspace();
  const ann = await ws.addMember('Ann');
  const bob = await ws.addMember('Bob');
  const team = await makeTeam(ws, 'Account managers', [ann.id, bob.id]);
  const endpoint = await makeEndpoint(ws, { url: receiver.url('/billing'), eventTypes: ['automation.webhook'] });
  const template = await ws.ok(
    `mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { template { id } userErrors { field message } } }`,
    {
      input: {
        key: 'welcome',
        name: 'Welcome',
        subject: 'Welcome aboard, {{ contact.firstName }}',
        html: '<p>Hi {{ contact.firstName }}, {{ owner.name }} will call you.</p>',
      },
    },
  );
  expect(template.createEmailTemplate.userErrors).toEqual([]);
  const ruleId = await makeRule(ws, {
    name: 'New customer',
    definition: {
      trigger: { type: 'event', event: 'contact.lifecycleChanged', field: 'lifecycleStage', to: 'CUSTOMER' },
      actions: [
        { type: 'assignOwner', strategy: 'roundRobin', teamId: team },
        {
          type: 'createTask',
          subject: 'Welcome call with {{ record.firstName }}',
          dueInDays: 2,
          assignTo: 'recordOwner',
          priority: 'HIGH',
        },
        { type: 'sendEmail', templateKey: 'welcome' },
        { type: 'notify', to: ['recordOwner'], title: 'New customer: {{ record.firstName }} {{ record.lastName }}' },
        { type: 'callWebhook', endpointId: endpoint.id, data: { plan: 'gold' } },
        { type: 'wait', days: 2 },
        { type: 'addTags', tags: ['Onboarded'] },
      ],
    },
  });
  const ada = await createContact(ws, { firstName: 'Ada', lastName: 'Lovelace', emails: [{ email: 'ada@example.com', primary: true }] });
  const alan = await createContact(ws, { firstName: 'Alan', lastName: 'Turing', emails: [{ email: 'alan@example.com', primary: true }] });
  const lead = await createContact(ws, { firstName: 'Grace', lastName: 'Hopper' });
  await updateContact(ws, { id: ada.id, version: ada.version, lifecycleStage: 'CUSTOMER' });
  await updateContact(ws, { id: alan.id, version: alan.version, lifecycleStage: 'CUSTOMER' });
  await updateContact(ws, { id: lead.id, version: lead.version, lifecycleStage: 'OPPORTUNITY' });

  const waiting = async () => (await countRuns(server, ruleId, 'waiting')) === 2;
  await tickUntil(clock, until(waiting), 1000);
  const runs = await runsOf(ws, ruleId);
  expect(runs.map((r) => r.recordId).sort()).toEqual([ada.id, alan.id].sort()); // not the contact that became an opportunity
  expect(runs[0].steps.map((s: any) => [s.action, s.outcome])).toEqual([
    ['assignOwner', 'succeeded'],
    ['createTask', 'succeeded'],
    ['sendEmail', 'succeeded'],
    ['notify', 'succeeded'],
    ['callWebhook', 'succeeded'],
    ['wait', 'waiting'],
  ]);

  // round robin: each of the team got one; each task is for its contact's new owner
  const sql = sqlOf(server);
  const owners = await sql.execute<{ id: string; owner_id: string }[]>(
    `select id, owner_id from contact where workspace_id = ? and id in (?, ?)`,
    [ws.id, parseGlobalId(ada.id)!.id, parseGlobalId(alan.id)!.id],
  );
  expect(owners.map((o) => o.owner_id).sort()).toEqual([ann.id, bob.id].sort());
  const tasks = await sql.execute<{ assignee_id: string; target_id: string; priority: string; due_at: Date }[]>(
    `select a.assignee_id, l.target_id, a.priority, a.due_at from activity a join timeline_link l on l.entry_id = a.id
      where a.workspace_id = ? and a.type = 'TASK' and a.subject like 'Welcome call with %'`,
    [ws.id],
  );
  expect(tasks).toHaveLength(2);
  for (const task of tasks) {
    expect(task.assignee_id).toBe(owners.find((o) => o.id === task.target_id)!.owner_id);
    expect(task.priority).toBe('HIGH');
  }

  // each got a welcome email over real SMTP, with the merge fields of the contact and its new owner
  await tickUntil(
    clock,
    until(async () => smtp.to('ada@example.com').length === 1 && smtp.to('alan@example.com').length === 1),
    1000,
  );
  const [adaMail] = smtp.to('ada@example.com');
  expect(adaMail!.subject).toBe('Welcome aboard, Ada');
  const adaOwner = owners.find((o) => o.id === parseGlobalId(ada.id)!.id)!.owner_id;
  expect(adaMail!.html).toContain(adaOwner === ann.id ? 'Ann' : 'Bob');
  // and each new owner an in-app notification about their customer
  const notes = await sql.execute<{ user_id: string; title: string; record_id: string }[]>(
    `select user_id, title, record_id from notification where workspace_id = ? and type = 'automation.notify' order by title`,
    [ws.id],
  );
  expect(notes.map((n) => n.title)).toEqual(['New customer: Ada Lovelace', 'New customer: Alan Turing']);
  expect(notes[0]!.user_id).toBe(adaOwner);

  // the billing system heard about both, signed (verified by the receiver with the standardwebhooks package)
  await tickUntil(
    clock,
    until(async () => receiver.received.filter((r) => r.path === '/billing').length === 2),
    1000,
  );
  const posts = receiver.received.filter((r) => r.path === '/billing').map((r) => verify(r, endpoint.secret));
  expect(posts.map((p) => p.type)).toEqual(['automation.webhook', 'automation.webhook']);
  expect(posts.map((p) => p.data.contact.lastName).sort()).toEqual(['Lovelace', 'Turing']);
  expect(posts[0].data).toMatchObject({ ruleId, rule: 'New customer', recordType: 'Contact', data: { plan: 'gold' } });

  // nothing more happens before the two days are up; then the runs resume and tag
  await clock.tick(60_000);
  expect(await runsOf(ws, ruleId, 'WAITING')).toHaveLength(2);
  await clock.setTime(clock.now() + 2 * DAY + 1000);
  await tickUntil(
    clock,
    until(async () => (await countRuns(server, ruleId, 'succeeded')) === 2),
    1000,
  );
  const tagged = await sql.execute<{ contact_id: string }[]>(
    `select p.contact_id from contact_tag p join tag t on t.id = p.tag_id where t.workspace_id = ? and t.name = 'Onboarded' order by 1`,
    [ws.id],
  );
  expect(tagged.map((t) => t.contact_id)).toEqual([parseGlobalId(ada.id)!.id, parseGlobalId(alan.id)!.id].sort());
  const done = await runsOf(ws, ruleId, 'SUCCEEDED');
  expect(done[0].steps.map((s: any) => s.stepNo)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(done[0].steps.at(-1)).toMatchObject({ action: 'addTags', outcome: 'succeeded' });
}, 60_000);

test('a rule that triggers itself stops at the loop limit, and says so', async () => {
  const ws = await server.newWorkspace();
  const ruleId = await makeRule(ws, {
    name: 'Flip do-not-call',
    definition: {
      trigger: { type: 'event', event: 'contact.updated' },
      actions: [
        {
          type: 'branch',
          if: { field: 'doNotCall', op: 'eq', value: true },
          actions: [{ type: 'updateFields', fields: { doNotCall: false } }],
          otherwise: [{ type: 'updateFields', fields: { doNotCall: true } }],
        },
      ],
    },
  });
  const contact = await createContact(ws, { firstName: 'Loop' });
  await updateContact(ws, { id: contact.id, version: contact.version, jobTitle: 'Engineer' });
  await tickUntil(
    clock,
    until(async () => (await countRuns(server, ruleId, 'stopped')) === 1),
    1000,
  );
  const runs = await runsOf(ws, ruleId);
  expect(runs.filter((r) => r.status === 'SUCCEEDED')).toHaveLength(3);
  const stopped = runs.find((r) => r.status === 'STOPPED');
  expect(stopped.error).toMatch(/loop limit/);
  expect(stopped.causation).toHaveLength(4); // three runs before it, and itself
  expect(stopped.steps).toEqual([]);
  // the person's write started the chain: its first run has no cause but itself
  const first = runs.find((r) => r.causation.length === 1);
  expect(first.trigger.eventType).toBe('contact.updated');
}, 60_000);

test('a run in flight finishes on the version it started with; a disabled rule starts none', async () => {
  const ws = await server.newWorkspace();
  const ruleId = await makeRule(ws, {
    name: 'Versioned',
    definition: {
      trigger: { type: 'recordEntersState', recordType: 'Contact', field: 'lifecycleStage', value: 'CUSTOMER' },
      actions: [
        { type: 'wait', hours: 1 },
        { type: 'addTags', tags: ['v1'] },
      ],
    },
  });
  const first = await createContact(ws, { firstName: 'First', lifecycleStage: 'CUSTOMER' });
  await tickUntil(
    clock,
    until(async () => (await countRuns(server, ruleId, 'waiting')) === 1),
    1000,
  );
  const rule = (await ws.ok(`query($id: ID!) { automationRule(id: $id) { version } }`, { id: ruleId })).automationRule;
  const changed = (
    await ws.ok(UPDATE_RULE, {
      input: {
        id: ruleId,
        version: rule.version,
        definition: {
          trigger: { type: 'recordEntersState', recordType: 'Contact', field: 'lifecycleStage', value: 'CUSTOMER' },
          actions: [{ type: 'addTags', tags: ['v2'] }],
        },
      },
    })
  ).updateAutomationRule;
  expect(changed.userErrors).toEqual([]);
  expect(changed.rule.definitionVersion).toBe(2);
  const second = await createContact(ws, { firstName: 'Second', lifecycleStage: 'CUSTOMER' });
  await tickUntil(
    clock,
    until(async () => (await countRuns(server, ruleId, 'succeeded')) === 1),
    1000,
  );
  await clock.setTime(clock.now() + 3600_000 + 1000);
  await tickUntil(
    clock,
    until(async () => (await countRuns(server, ruleId, 'succeeded')) === 2),
    1000,
  );
  const tagsOf = async (id: string) =>
    (
      await sqlOf(server).execute<{ name: string }[]>(
        `select t.name from contact_tag p join tag t on t.id = p.tag_id where p.contact_id = ? order by 1`,
        [parseGlobalId(id)!.id],
      )
    ).map((t) => t.name);
  expect(await tagsOf(first.id)).toEqual(['v1']);
  expect(await tagsOf(second.id)).toEqual(['v2']);
  expect((await runsOf(ws, ruleId)).map((r) => r.ruleVersion).sort()).toEqual([1, 2]);

  // disabled: the next contact entering the state starts nothing
  const now = (await ws.ok(`query($id: ID!) { automationRule(id: $id) { version } }`, { id: ruleId })).automationRule;
  await ws.ok(UPDATE_RULE, { input: { id: ruleId, version: now.version, enabled: false } });
  await createContact(ws, { firstName: 'Third', lifecycleStage: 'CUSTOMER' });
  await until(async () => {
    const [row] = await sqlOf(server).execute<{ n: number }[]>(
      `select count(*)::int as n from outbox_delivery d join outbox_event e on e.id = d.event_id
        where e.workspace_id = ? and d.subscriber = 'kernel/automation' and d.status = 'pending'`,
      [ws.id],
    );
    return Number(row!.n) === 0;
  });
  expect(await runsOf(ws, ruleId)).toHaveLength(2);
}, 60_000);

test('time triggers: 7 days after creation when there was no activity; a cron schedule in a time zone', async () => {
  const ws = await server.newWorkspace();
  const dated = await makeRule(ws, {
    name: 'Nudge quiet contacts',
    definition: {
      trigger: { type: 'dateRelative', recordType: 'Contact', field: 'createdAt', offsetDays: 7 },
      conditions: { field: 'lastActivityAt', op: 'isEmpty' },
      actions: [{ type: 'logNote', body: 'No activity in the first week' }],
    },
  });
  const scheduled = await makeRule(ws, {
    name: 'Morning check',
    definition: {
      trigger: { type: 'schedule', cron: '0 9 * * *', timeZone: 'Europe/Paris' },
      actions: [{ type: 'wait', minutes: 1 }],
    },
  });
  const quiet = await createContact(ws, { firstName: 'Quiet' });
  const busy = await createContact(ws, { firstName: 'Busy' });
  await ws.ok(`mutation($input: LogActivityInput!) { logActivity(input: $input) { userErrors { message } } }`, {
    input: { type: 'CALL', subject: 'Intro', targetIds: [busy.id] },
  });
  // created "now" in the database's time; the job looks 7 days after the queue clock's now
  await sqlOf(server).execute(`update contact set created_at = ? where workspace_id = ?`, [new Date(clock.now()), ws.id]);
  await clock.setTime(clock.now() + 7 * DAY + 60_000);
  await tickUntil(
    clock,
    until(async () => (await countRuns(server, dated, 'succeeded')) === 1),
    60_000,
  );
  const runs = await runsOf(ws, dated);
  expect(runs.map((r) => r.recordId)).toEqual([quiet.id]);
  expect(runs[0].trigger).toMatchObject({ kind: 'date', field: 'createdAt' });

  // 09:00 in Paris: the next such moment after now
  const next = new Date(clock.now());
  const parisNine = (d: Date) => {
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hour12: false }).format(d);
    return Number(local) === 9;
  };
  next.setUTCMinutes(0, 0, 0);
  do next.setTime(next.getTime() + 3600_000);
  while (!parisNine(next));
  await clock.setTime(next.getTime() + 30_000);
  await tickUntil(
    clock,
    until(async () => (await runsOf(ws, scheduled)).length === 1),
    30_000,
  );
  const [run] = await runsOf(ws, scheduled);
  expect(run.trigger).toEqual({ kind: 'schedule', tick: next.toISOString() });
  expect(run.recordId).toBeNull();
  // the same tick is not started twice
  await clock.tick(60_000);
  await clock.tick(60_000);
  expect(await runsOf(ws, scheduled)).toHaveLength(1);
}, 60_000);

test('an inbound integration post finds the contact by email and makes them a customer', async () => {
  const ws = await server.newWorkspace();
  const contact = await createContact(ws, { firstName: 'Buyer', emails: [{ email: 'buyer@shop.test', primary: true }] });
  const ruleId = await makeRule(ws, {
    name: 'Order paid',
    definition: {
      trigger: { type: 'integration', integration: 'shop', contactEmailPath: 'customer.email' },
      conditions: { field: 'event.body.status', op: 'eq', value: 'paid' },
      actions: [
        { type: 'updateFields', fields: { lifecycleStage: 'CUSTOMER' } },
        { type: 'logNote', subject: 'Order paid', body: 'Paid in the shop' },
      ],
    },
  });
  const made = await ws.ok(
    `mutation($input: CreateIntegrationInput!) { createIntegration(input: $input) { token userErrors { message } } }`,
    {
      input: { name: 'shop' },
    },
  );
  const post = (body: unknown) =>
    server.app.http.inject({
      method: 'POST',
      url: `/hooks/in/${made.createIntegration.token}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  expect((await post({ status: 'pending', customer: { email: 'buyer@shop.test' } })).statusCode).toBe(202);
  expect((await post({ status: 'paid', customer: { email: 'nobody@shop.test' } })).statusCode).toBe(202);
  expect((await post({ status: 'paid', customer: { email: 'BUYER@shop.test' } })).statusCode).toBe(202);
  await tickUntil(
    clock,
    until(async () => (await countRuns(server, ruleId, 'succeeded')) === 1),
    1000,
  );
  const [row] = await sqlOf(server).execute<{ lifecycle_stage: string }[]>(`select lifecycle_stage from contact where id = ?`, [
    parseGlobalId(contact.id)!.id,
  ]);
  expect(row!.lifecycle_stage).toBe('CUSTOMER');
  const runs = await runsOf(ws, ruleId);
  expect(runs).toHaveLength(1);
  expect(runs[0].recordId).toBe(toGlobalId('Contact', parseGlobalId(contact.id)!.id));
}, 60_000);
