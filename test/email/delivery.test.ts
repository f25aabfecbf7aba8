import { TestClock } from 'pg-boss';
import { EMAIL_QUEUES } from '../../src/app/email-jobs.js';
import { parseGlobalId } from '../../src/graphql/global-id.js';
import { tickUntil, until } from '../../src/sdk/testing.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { SEND, createContact, eventsOf, makeTemplate, messagesOf } from './helpers.js';
import { TestSmtp } from './smtp.js';

/**
 * Email end to end, nothing called directly: `sendEmail` through GraphQL → the message recorded with a delivery job
 * on the real queue → a real SMTP server on loopback. Retries wait on the queue's back-off; the test moves pg-boss's
 * TestClock, never sleeps for time.
 */
const clock = new TestClock(Date.now());
let server: TestServer;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await new TestSmtp().start();
  server = await startTestServer({
    env: { SMTP_URL: smtp.url, MAIL_FROM: 'Acme CRM <crm@acme.example>' },
    queue: { clock, email: true },
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const sends = () => server.queue!.boss.getSpy<{ messageId: string }>(EMAIL_QUEUES.send);

async function send(ws: TestWorkspace, input: Record<string, unknown>) {
  const { sendEmail } = await ws.ok(SEND, { input });
  expect(sendEmail.userErrors).toEqual([]);
  return sendEmail.message as { id: string; status: string };
}

const rawId = (globalId: string) => parseGlobalId(globalId)!.id;

test('a template sent to a contact reaches the SMTP server rendered, escaped, with a text part, and shows on the timeline', async () => {
  const ws = await server.newWorkspace();
  const contactId = await createContact(ws, {
    firstName: '<script>alert(1)</script>',
    lastName: 'Hopper',
    emails: [{ email: 'grace@navy.example', primary: true }],
  });
  const template = await makeTemplate(ws, {
    key: 'receipt',
    name: 'Receipt',
    subject: 'Your receipt {{ data.number }}',
    html: '<h1>Thanks {{ contact.firstName }} {{ contact.lastName }}</h1><p>Total: {{ data.total }}</p>',
    dataVariables: ['number', 'total'],
  });
  const message = await send(ws, { templateId: template.id, contactId, data: { number: 'R-1', total: '12.50 EUR' } });
  expect(message.status).toBe('QUEUED');

  await tickUntil(
    clock,
    sends().waitForJob((data) => data.messageId === rawId(message.id), 'completed'),
    1000,
  );
  const [mail] = smtp.to('grace@navy.example');
  expect(mail).toBeDefined();
  expect(mail!.from).toBe('crm@acme.example');
  expect(mail!.subject).toBe('Your receipt R-1');
  expect(mail!.html).toContain('<h1>Thanks &lt;script&gt;alert(1)&lt;/script&gt; Hopper</h1><p>Total: 12.50 EUR</p>');
  expect(mail!.html).not.toContain('<script>');
  expect(mail!.text).toContain('THANKS <SCRIPT>ALERT(1)</SCRIPT> HOPPER');
  expect(mail!.text).toContain('Total: 12.50 EUR');

  const [row] = await messagesOf(server, ws.id);
  expect(row).toMatchObject({
    status: 'sent',
    attempts: 1,
    to_address: 'grace@navy.example',
    contact_id: rawId(contactId),
    actor_id: ws.userId,
  });
  expect(row!.sent_at).not.toBeNull();
  expect(mail!.headers['message-id']).toBe(row!.provider_message_id);
  expect(await eventsOf(server, ws.id, 'email.sent')).toEqual([
    expect.objectContaining({ id: row!.id, to: 'grace@navy.example', subject: 'Your receipt R-1', attempts: 1 }),
  ]);

  const { timeline } = await ws.ok(
    `query($id: ID!) { timeline(targetId: $id, first: 10) { edges { node { entryType ... on TimelineEvent { title data } } } } }`,
    { id: contactId },
  );
  expect(timeline.edges.map((e: { node: unknown }) => e.node)).toEqual([
    { entryType: 'email.sent', title: 'Your receipt R-1', data: expect.objectContaining({ messageId: row!.id, to: 'grace@navy.example' }) },
  ]);
  const { emailMessages } = await ws.ok(
    `query($c: ID) { emailMessages(contactId: $c, first: 5) { totalCount nodes { id status attempts sentAt } } }`,
    {
      c: contactId,
    },
  );
  expect(emailMessages).toMatchObject({ totalCount: 1, nodes: [{ id: message.id, status: 'SENT', attempts: 1 }] });
});

test('a server that answers 4xx is tried again later, on the queue’s back-off', async () => {
  const ws = await server.newWorkspace();
  smtp.rejectNext(1, 451);
  const message = await send(ws, { to: 'retry@example.com', subject: 'Try again', html: '<p>Hello</p>' });

  const sent = async () => (await messagesOf(server, ws.id))[0]?.status === 'sent';
  // the first attempt fails: still queued, with the server's answer
  await tickUntil(
    clock,
    until(async () => (await messagesOf(server, ws.id))[0]?.attempts === 1),
    1000,
  );
  await until(async () => (await messagesOf(server, ws.id))[0]?.last_error != null || (await sent()));
  const [failed] = await messagesOf(server, ws.id);
  expect(failed).toMatchObject({ status: 'queued', attempts: 1 });
  expect(failed!.last_error).toMatch(/451|try again later/);
  expect(smtp.to('retry@example.com')).toHaveLength(0);
  // the first retry waits 10–20 s
  await clock.tick(5000);
  await new Promise((resolve) => setImmediate(resolve));
  expect((await messagesOf(server, ws.id))[0]).toMatchObject({ status: 'queued', attempts: 1 });

  await tickUntil(clock, until(sent), 5000);
  expect(smtp.to('retry@example.com')).toHaveLength(1);
  const [row] = await messagesOf(server, ws.id);
  expect(row).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  expect(rawId(message.id)).toBe(row!.id);
});

test('a 5xx refusal fails the message at once, with an email.failed event', async () => {
  const ws = await server.newWorkspace();
  smtp.rejectNext(1, 550);
  const message = await send(ws, { to: 'nobody@example.com', subject: 'Nope', html: '<p>x</p>' });
  await tickUntil(
    clock,
    until(async () => (await messagesOf(server, ws.id))[0]?.status === 'failed'),
    1000,
  );
  const [row] = await messagesOf(server, ws.id);
  expect(row).toMatchObject({ status: 'failed', attempts: 1 });
  expect(await eventsOf(server, ws.id, 'email.failed')).toEqual([expect.objectContaining({ id: rawId(message.id), attempts: 1 })]);
  // nothing is retried
  for (let i = 0; i < 5; i++) await clock.tick(60_000);
  expect((await messagesOf(server, ws.id))[0]).toMatchObject({ status: 'failed', attempts: 1 });
  expect(smtp.to('nobody@example.com')).toHaveLength(0);
});
