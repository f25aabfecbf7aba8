import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { deliverEmailMessage, sendEmail, type SendEmailInput } from '../../src/core/email/index.js';
import { InputRejected } from '../../src/graphql/errors.js';
import { startTestServer, type TestServer } from '../support/harness.js';
import { eventsOf, messagesOf } from './helpers.js';
import { TestSmtp } from './smtp.js';

/** sendEmail's options for bulk mail — extra headers, a sender, prerendered content — over a real SMTP server. */
let server: TestServer;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await new TestSmtp().start();
  server = await startTestServer({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'Acme CRM <crm@acme.example>' } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

async function sendAndDeliver(workspaceId: string, input: Omit<SendEmailInput, 'workspaceId'>) {
  const message = await withWorkspace(server.appOrm, workspaceId, (em) => sendEmail(em, { workspaceId, ...input }));
  return { message, outcome: await deliverEmailMessage(server.appOrm, { workspaceId, messageId: message.id }, new Date()) };
}

async function rejection(workspaceId: string, input: Omit<SendEmailInput, 'workspaceId'>) {
  try {
    await withWorkspace(server.appOrm, workspaceId, (em) => sendEmail(em, { workspaceId, ...input }));
  } catch (error) {
    expect(error).toBeInstanceOf(InputRejected);
    return (error as InputRejected).errors.map((e) => [e.field].flat().join('.'));
  }
  throw new Error('accepted');
}

const content = { subject: 'News', html: '<p>Hello</p>' };

test('allowlisted headers and the sender arrive; prerendered content with {{ }} arrives literally', async () => {
  const ws = await server.newWorkspace();
  const { outcome } = await sendAndDeliver(ws.id, {
    to: 'reader@example.test',
    content: {
      subject: 'Hi {{ contact.firstName }}',
      html: '<p>Dear {{ contact.firstName }}, <a href="https://t.example/c/1">read</a></p>',
    },
    prerendered: true,
    from: 'Acme News, Weekly <news@acme.example>',
    headers: {
      'list-unsubscribe': '<https://api.example/plugins/campaigns/u/tok>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'X-Campaign': 'c-1',
    },
  });
  expect(outcome.outcome).toBe('sent');
  const [mail] = smtp.to('reader@example.test');
  expect(mail!.from).toBe('news@acme.example');
  expect(mail!.headers.from).toBe('"Acme News, Weekly" <news@acme.example>');
  expect(mail!.headers['list-unsubscribe']).toBe('<https://api.example/plugins/campaigns/u/tok>');
  expect(mail!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
  expect(mail!.headers['x-campaign']).toBe('c-1');
  expect(mail!.subject).toBe('Hi {{ contact.firstName }}');
  expect(mail!.html).toContain('Dear {{ contact.firstName }}');
  expect(mail!.text).toContain('Dear {{ contact.firstName }}');
  const [row] = await server.orm.em
    .getConnection()
    .execute(`select headers, from_address from email_message where workspace_id = ?`, [ws.id]);
  const headers = typeof row!.headers === 'string' ? JSON.parse(row!.headers) : row!.headers;
  expect(headers).toEqual({
    'List-Unsubscribe': '<https://api.example/plugins/campaigns/u/tok>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Campaign': 'c-1',
  });
});

test('header injection, headers off the allowlist and a bad sender are refused, nothing written', async () => {
  const ws = await server.newWorkspace();
  const to = 'x@example.test';
  expect(await rejection(ws.id, { to, content, headers: { 'X-Evil': 'a\r\nBcc: victim@example.test' } })).toEqual(['headers.X-Evil']);
  expect(await rejection(ws.id, { to, content, headers: { Bcc: 'victim@example.test' } })).toEqual(['headers.Bcc']);
  expect(await rejection(ws.id, { to, content, headers: { 'List-Id': 'x'.repeat(2001) } })).toEqual(['headers.List-Id']);
  expect(await rejection(ws.id, { to, content, headers: { 'List-Id': 'a\u0000b' } })).toEqual(['headers.List-Id']);
  expect(await rejection(ws.id, { to, content, from: 'a@example.test, b@example.test' })).toEqual(['from']);
  expect(await rejection(ws.id, { to, content, from: 'Name <a@example.test>\r\nBcc: b@example.test' })).toEqual(['from']);
  expect(await rejection(ws.id, { to, content, prerendered: true, templateKey: 'welcome' })).toEqual(['prerendered']);
  expect(await rejection(ws.id, { to, content: { subject: 'a\nb', html: 'x' }, prerendered: true })).toEqual(['subject']);
  expect(await messagesOf(server, ws.id)).toEqual([]);
});

test('a 5xx refusal fails the message for good: email.failed says permanent with the code', async () => {
  const ws = await server.newWorkspace();
  smtp.rejectNext(1, 550);
  const { outcome } = await sendAndDeliver(ws.id, { to: 'gone@example.test', content });
  expect(outcome.outcome).toBe('failed');
  const [failed] = await eventsOf(server, ws.id, 'email.failed');
  expect(failed).toMatchObject({ to: 'gone@example.test', permanent: true, responseCode: 550, attempts: 1 });
  smtp.rejectNext(1, 451);
  const retry = await sendAndDeliver(ws.id, { to: 'later@example.test', content });
  expect(retry.outcome.outcome).toBe('retry');
  expect(await eventsOf(server, ws.id, 'email.failed')).toHaveLength(1);
});
