import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { MAX_HTML } from '../../src/core/email/render.js';
import { deliverEmailMessage, sendEmail } from '../../src/core/email/email.service.js';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { InputRejected } from '../../src/graphql/errors.js';
import { parseGlobalId } from '../../src/graphql/global-id.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { CREATE_CONTACT, CREATE_TEMPLATE, PREVIEW, SEND, UPDATE_TEMPLATE, createContact, makeTemplate, messagesOf } from './helpers.js';

/**
 * Email templates through the API: checked on save (syntax, every merge field, limits), rendered for a contact with
 * escaping, and the permissions around them. Delivery over SMTP is in delivery.test.ts.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close());

const HOSTILE = '<script>alert(1)</script>';

async function workspaceWithContact(): Promise<{ ws: TestWorkspace; contactId: string }> {
  const ws = await server.newWorkspace();
  await ws.ok(
    `mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { customField { id } userErrors { message } } }`,
    { input: { objectType: 'Contact', key: 'tier', label: 'Tier', type: 'TEXT' } },
  );
  const company = await ws.ok(`mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } userErrors { message } } }`, {
    i: { name: 'Acme & Sons', domains: ['acme.example'] },
  });
  const contactId = await createContact(ws, {
    firstName: HOSTILE,
    lastName: 'Lovelace',
    jobTitle: 'CTO',
    emails: [{ email: 'ada@acme.example', primary: true }],
    companyId: company.createCompany.company.id,
    customFields: { tier: 'gold' },
  });
  return { ws, contactId };
}

test('a template renders merge fields for a contact: escaped in HTML, plain in text, derived text; a preview writes nothing', async () => {
  const { ws, contactId } = await workspaceWithContact();
  const template = await makeTemplate(ws, {
    key: 'welcome',
    name: 'Welcome',
    subject: 'Welcome {{ contact.firstName }} to {{ workspace.name }}',
    html: '<p>Hi {{ contact.firstName }} {{ contact.lastName }} of {{ company.name }} ({{ contact.custom.tier }}), order {{ data.orderId }}</p>{% if owner %}<p>{{ owner.name }}</p>{% endif %}',
    dataVariables: ['orderId'],
  });
  expect(template.version).toBe(1);

  const { previewEmailTemplate } = await ws.ok(PREVIEW, { input: { templateId: template.id, contactId, data: { orderId: 'A-17' } } });
  expect(previewEmailTemplate.userErrors).toEqual([]);
  const preview = previewEmailTemplate.preview;
  expect(preview.to).toBe('ada@acme.example');
  expect(preview.subject).toBe(`Welcome ${HOSTILE} to Test ${ws.slug}`);
  expect(preview.html).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt; Lovelace of Acme &amp; Sons (gold), order A-17');
  expect(preview.html).not.toContain('<script>');
  expect(preview.text).toContain(`Hi ${HOSTILE} Lovelace of Acme & Sons (gold), order A-17`);
  expect(await server.count('email_message', ws.id)).toBe(0);
  expect(await server.count('timeline_event', ws.id)).toBe(0);
});

describe('a template with a problem gets a typed error and nothing is saved', () => {
  const base = { key: 'k', name: 'N', subject: 'Hello', html: '<p>Hi</p>' };
  it.each([
    ['an unknown contact field', { html: '<p>{{ contact.nickname }}</p>' }, 'html', /unknown merge field/],
    ['an unknown root', { subject: 'Hi {{ customer.name }}' }, 'subject', /unknown merge field/],
    ['an undeclared data variable', { html: '{{ data.orderId }}' }, 'html', /not a declared data variable/],
    ['an unknown custom field', { html: '{{ contact.custom.nope }}' }, 'html', /no contact custom field "nope"/],
    ['a computed lookup', { html: '{{ contact[data.x] }}', dataVariables: ['x'] }, 'html', /computed lookups/],
    ['an unclosed output', { html: '<p>{{ contact.firstName </p>' }, 'html', /template error/],
    ['a broken tag', { text: '{% if %}x{% endif %}' }, 'text', /template error/],
    ['an unknown filter', { html: '{{ contact.firstName | shout }}' }, 'html', /undefined filter/],
    ['an include', { html: "{% include 'secrets' %}" }, 'html', /include %\} is not available/],
    ['the raw filter', { html: '{{ contact.firstName | raw }}' }, 'html', /raw/],
    ['a line break in the subject', { subject: 'Hello\r\nBcc: x@example.com' }, 'subject', /one line/],
    ['a huge body', { html: `<p>${'x'.repeat(MAX_HTML)}</p>` }, 'html', /at most/],
    ['an empty subject', { subject: '  ' }, 'subject', /must not be empty/],
    ['a key that is not a slug', { key: 'Not A Slug' }, 'key', /lower-case/],
    ['a bad data variable name', { dataVariables: ['order-id'] }, 'dataVariables.0', /letter/],
  ])('%s', async (_what, change, field, message) => {
    const ws = await server.newWorkspace();
    const { createEmailTemplate } = await ws.ok(CREATE_TEMPLATE, { input: { ...base, ...change } });
    expect(createEmailTemplate.template).toBeNull();
    expect(createEmailTemplate.userErrors).toEqual([
      expect.objectContaining({ field: field.split('.'), code: 'BAD_USER_INPUT', message: expect.stringMatching(message) }),
    ]);
    expect(await server.count('email_template', ws.id)).toBe(0);
  });

  it('reports every problem at once', async () => {
    const ws = await server.newWorkspace();
    const { createEmailTemplate } = await ws.ok(CREATE_TEMPLATE, {
      input: { ...base, subject: '{{ nope }}', html: '{{ contact.nope }}', text: '{% if %}' },
    });
    expect(createEmailTemplate.userErrors.map((e: { field: string[] }) => e.field.join('.')).sort()).toEqual(['html', 'subject', 'text']);
    expect(await server.count('email_template', ws.id)).toBe(0);
  });
});

test('updates check the template again and the version; a duplicate key is a conflict', async () => {
  const ws = await server.newWorkspace();
  const template = await makeTemplate(ws, { key: 'invoice', name: 'Invoice', subject: 'Invoice', html: '<p>{{ contact.name }}</p>' });
  const bad = await ws.ok(UPDATE_TEMPLATE, { input: { id: template.id, html: '{{ contact.nope }}' } });
  expect(bad.updateEmailTemplate.userErrors).toEqual([expect.objectContaining({ field: ['html'], code: 'BAD_USER_INPUT' })]);
  const good = await ws.ok(UPDATE_TEMPLATE, { input: { id: template.id, version: 1, subject: 'Invoice {{ recipient.email }}' } });
  expect(good.updateEmailTemplate.template).toMatchObject({
    subject: 'Invoice {{ recipient.email }}',
    html: '<p>{{ contact.name }}</p>',
    version: 2,
  });
  const stale = await ws.ok(UPDATE_TEMPLATE, { input: { id: template.id, version: 1, subject: 'Stale' } });
  expect(stale.updateEmailTemplate.userErrors).toEqual([expect.objectContaining({ field: ['version'], code: 'CONFLICT' })]);
  const twice = await ws.ok(CREATE_TEMPLATE, { input: { key: 'invoice', name: 'Again', subject: 'x', html: 'y' } });
  expect(twice.createEmailTemplate.userErrors).toEqual([expect.objectContaining({ field: ['key'], code: 'CONFLICT' })]);
  const { emailTemplates } = await ws.ok(`{ emailTemplates(first: 10) { totalCount nodes { key subject version } } }`);
  expect(emailTemplates).toEqual({ totalCount: 1, nodes: [{ key: 'invoice', subject: 'Invoice {{ recipient.email }}', version: 2 }] });
});

describe('a send with bad input gets a typed error and writes nothing', () => {
  const adHoc = { subject: 'Hi', html: '<p>Hi</p>' };
  it.each([
    ['a malformed address', { ...adHoc, to: 'not-an-address' }, 'to'],
    ['a header injection', { ...adHoc, to: 'a@example.com\r\nBcc: b@example.com' }, 'to'],
    ['two addresses', { ...adHoc, to: 'a@example.com, b@example.com' }, 'to'],
    ['no address and no contact', adHoc, 'to'],
    ['a bad cc', { ...adHoc, to: 'a@example.com', cc: ['nope'] }, 'cc.0'],
    ['both a template and content', { to: 'a@example.com', templateKey: 'x', subject: 's', html: 'h' }, 'template'],
    ['no template nor content', { to: 'a@example.com' }, 'template'],
    ['an unknown template', { to: 'a@example.com', templateKey: 'missing' }, 'templateKey'],
    ['an unknown merge field in ad-hoc content', { to: 'a@example.com', subject: 'Hi', html: '{{ contact.nope }}' }, 'html'],
    ['huge data', { to: 'a@example.com', subject: 'Hi', html: '{{ data.blob }}', data: { blob: 'x'.repeat(70_000) } }, 'data'],
  ])('%s', async (_what, input, field) => {
    const ws = await server.newWorkspace();
    const { sendEmail } = await ws.ok(SEND, { input });
    expect(sendEmail.message).toBeNull();
    expect(sendEmail.userErrors).toEqual([expect.objectContaining({ field: field.split('.') })]);
    expect(await server.count('email_message', ws.id)).toBe(0);
    expect(await server.count('timeline_event', ws.id)).toBe(0);
  });

  it('control characters in a template, an address or data are refused before the resolver', async () => {
    const ws = await server.newWorkspace();
    const template = await ws.gql(CREATE_TEMPLATE, { input: { key: 'k', name: 'N', subject: 'Hello', html: '<p>a\u0000b</p>' } });
    expect(template.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.html' });
    for (const [input, field] of [
      [{ ...adHoc, to: 'a\u0000@example.com' }, 'input.to'],
      [{ to: 'a@example.com', subject: 'Hi', html: '{{ data.v }}', data: { v: 'a\u0000' } }, 'input.data.v'],
    ] as const) {
      const res = await ws.gql(SEND, { input });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await server.count('email_template', ws.id)).toBe(0);
    expect(await server.count('email_message', ws.id)).toBe(0);
  });

  it('data the template does not declare', async () => {
    const ws = await server.newWorkspace();
    await makeTemplate(ws, { key: 'ship', name: 'Shipped', subject: 'Shipped {{ data.orderId }}', html: 'x', dataVariables: ['orderId'] });
    const { sendEmail } = await ws.ok(SEND, { input: { to: 'a@example.com', templateKey: 'ship', data: { orderId: 1, secret: 2 } } });
    expect(sendEmail.userErrors).toEqual([expect.objectContaining({ field: ['data'], message: expect.stringContaining('secret') })]);
    expect(await server.count('email_message', ws.id)).toBe(0);
  });
});

test('permissions: templates need email:manage, sends email:send, and the contact must be in the sender’s scope', async () => {
  const { ws, contactId } = await workspaceWithContact();
  const readOnly = await ws.addMember('Reader', MembershipRole.READ_ONLY);
  const sales = await ws.addMember('Seller', MembershipRole.SALES);
  const support = await ws.addMember('Helper', MembershipRole.SUPPORT);
  const input = { key: 'hello', name: 'Hello', subject: 'Hello', html: '<p>Hello {{ contact.phone }}</p>' };

  for (const member of [readOnly, sales]) {
    const refused = await server.gql(CREATE_TEMPLATE, { input }, member.headers);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  }
  expect(await server.count('email_template', ws.id)).toBe(0);
  const refused = await server.gql(SEND, { input: { to: 'a@example.com', subject: 'Hi', html: 'x' } }, readOnly.headers);
  expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

  const template = await makeTemplate(ws, input);
  // the admin's contact is outside the sales rep's teams: it does not exist for them
  const outOfScope = await server.gql(SEND, { input: { templateId: template.id, contactId } }, sales.headers);
  expect(outOfScope.data.sendEmail.userErrors).toEqual([expect.objectContaining({ field: ['contactId'], code: 'NOT_FOUND' })]);
  // support may not see contacts' phone numbers, so may not have them rendered either
  const hidden = await server.gql(SEND, { input: { templateId: template.id, contactId } }, support.headers);
  expect(hidden.data.sendEmail.userErrors).toEqual([expect.objectContaining({ field: ['template'], code: 'FORBIDDEN' })]);
  const preview = await server.gql(PREVIEW, { input: { templateId: template.id, contactId } }, support.headers);
  expect(preview.data.previewEmailTemplate.userErrors).toEqual([expect.objectContaining({ code: 'FORBIDDEN' })]);
  expect(await server.count('email_message', ws.id)).toBe(0);

  // a sales rep sends to their own contact
  const created = await server.gql(
    CREATE_CONTACT,
    { input: { firstName: 'Own', emails: [{ email: 'own@example.com', primary: true }] } },
    sales.headers,
  );
  const own = created.data.createContact.contact.id;
  const sent = await server.gql(
    SEND,
    { input: { subject: 'Hi {{ contact.firstName }}', html: '<p>x</p>', contactId: own } },
    sales.headers,
  );
  expect(sent.errors).toBeUndefined();
  expect(sent.data.sendEmail.message).toMatchObject({ to: 'own@example.com', subject: 'Hi Own', status: 'QUEUED', attempts: 0 });
});

test('a template that blows its render limits is a typed error, and nothing is written', async () => {
  const ws = await server.newWorkspace();
  const { sendEmail } = await ws.ok(SEND, {
    input: { to: 'a@example.com', subject: 'Loop', html: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' },
  });
  expect(sendEmail.userErrors).toEqual([expect.objectContaining({ field: ['html'], message: expect.stringMatching(/could not render/) })]);
  expect(await server.count('email_message', ws.id)).toBe(0);
});

test('the kernel service records a send with its source; without SMTP_URL delivery logs it and counts it as sent', async () => {
  const { ws, contactId } = await workspaceWithContact();
  await makeTemplate(ws, {
    key: 'note',
    name: 'Note',
    subject: 'Note for {{ contact.lastName }}',
    html: '<p>{{ data.body }}</p>',
    dataVariables: ['body'],
  });
  const contact = parseGlobalId(contactId)!.id;
  const message = await withWorkspace(server.appOrm, ws.id, (em) =>
    sendEmail(em, { workspaceId: ws.id, templateKey: 'note', contactId: contact, data: { body: 'Hello' }, source: 'automation:run-1' }),
  );
  expect(message).toMatchObject({
    toAddress: 'ada@acme.example',
    subject: 'Note for Lovelace',
    status: 'queued',
    source: 'automation:run-1',
    actorId: null,
  });
  await expect(
    withWorkspace(server.appOrm, ws.id, (em) =>
      sendEmail(em, { workspaceId: ws.id, templateKey: 'note', contactId: contact, source: 'bad\u0000source' }),
    ),
  ).rejects.toThrow(InputRejected);
  expect(await server.count('email_message', ws.id)).toBe(1);

  expect(await deliverEmailMessage(server.appOrm, { workspaceId: ws.id, messageId: message.id }, new Date())).toEqual({
    outcome: 'sent',
    attempts: 1,
  });
  const [row] = await messagesOf(server, ws.id);
  expect(row).toMatchObject({ status: 'sent', attempts: 1, provider_message_id: null });
  // delivered once: a second call finds nothing to do
  expect(await deliverEmailMessage(server.appOrm, { workspaceId: ws.id, messageId: message.id }, new Date())).toEqual({
    outcome: 'skipped',
  });
});

test('emailMessages leaves out messages to contacts outside the caller’s read scope; a deleted template keeps its messages', async () => {
  const { ws, contactId } = await workspaceWithContact();
  const sales = await ws.addMember('Seller', MembershipRole.SALES);
  const template = await makeTemplate(ws, { key: 'hi', name: 'Hi', subject: 'Hi {{ contact.lastName }}', html: '<p>Hi</p>' });
  const { sendEmail: sent } = await ws.ok(SEND, { input: { templateId: template.id, contactId } });
  expect(sent.userErrors).toEqual([]);
  const { sendEmail: loose } = await ws.ok(SEND, { input: { to: 'someone@example.com', subject: 'No contact', html: '<p>x</p>' } });
  expect(loose.userErrors).toEqual([]);

  const list = `query($c: ID) { emailMessages(contactId: $c, first: 10) { totalCount nodes { subject contactId templateId status } } }`;
  const mine = await ws.ok(list, {});
  expect(mine.emailMessages.totalCount).toBe(2);
  const theirs = await server.gql(list, {}, sales.headers);
  expect(theirs.data.emailMessages.nodes).toEqual([{ subject: 'No contact', contactId: null, templateId: null, status: 'QUEUED' }]);
  const byContact = await server.gql(list, { c: contactId }, sales.headers);
  expect(byContact.data.emailMessages.totalCount).toBe(0);

  const deleted = await ws.ok(`mutation($id: ID!) { deleteEmailTemplate(id: $id) { deletedId userErrors { code } } }`, { id: template.id });
  expect(deleted.deleteEmailTemplate).toEqual({ deletedId: template.id, userErrors: [] });
  expect((await ws.ok(`query($id: ID!) { emailTemplate(id: $id) { id } }`, { id: template.id })).emailTemplate).toBeNull();
  const after = await ws.ok(list, { c: contactId });
  expect(after.emailMessages.nodes).toEqual([{ subject: 'Hi Lovelace', contactId, templateId: template.id, status: 'QUEUED' }]);
});
