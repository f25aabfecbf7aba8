import campaigns from '../../../plugins/campaigns/plugin.js';
import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import {
  CREATE_CAMPAIGN,
  CREATE_TEMPLATE,
  SCHEDULE,
  SEND_NOW,
  UPDATE_TEMPLATE,
  count,
  createCampaign,
  createContact,
  createSegment,
  createTemplate,
} from './helpers.js';

/** Templates and campaign drafts through GraphQL: compiled, checked, refused with typed errors and nothing written. */
let server: PluginTestServer;
let ws: PluginTestWorkspace;

beforeAll(async () => {
  server = await startPluginServer([campaigns]);
  ws = await server.newWorkspace();
  await ws.enable('campaigns');
}, 60_000);
afterAll(() => server?.close());

const templates = () => count(server, `select count(*) from campaign_template where workspace_id = ?`, [ws.id]);
const campaignRows = () => count(server, `select count(*) from campaign where workspace_id = ?`, [ws.id]);

test('an MJML template is compiled and inlined, with the preheader first; preview renders for a contact', async () => {
  const template = await createTemplate(ws, {
    name: 'Welcome',
    subject: 'Welcome {{ contact.firstName }}',
    preheader: 'Inside: <news> & more',
    format: 'MJML',
    source:
      '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ contact.firstName }} at {{ company.name }}</mj-text><mj-button href="{{ data.unsubscribeUrl }}">Leave</mj-button></mj-column></mj-section></mj-body></mjml>',
  });
  expect(template.compiledHtml).toMatch(/<body[^>]*><div style="display:none[^"]*">Inside: &lt;news&gt; &amp; more<\/div>/);
  expect(template.compiledHtml).toContain('Hello {{ contact.firstName }}');
  expect(template.compiledHtml).not.toContain('<mj-');
  const contact = await createContact(ws, { firstName: 'Grace', emails: [{ email: 'grace@preview.example', primary: true }] });
  const { previewCampaignTemplate } = await ws.ok(
    `query($i: PreviewCampaignTemplateInput!) { previewCampaignTemplate(input: $i) { preview { to subject html text } userErrors { field code } } }`,
    { i: { id: template.id, contactId: contact } },
  );
  expect(previewCampaignTemplate.userErrors).toEqual([]);
  expect(previewCampaignTemplate.preview).toMatchObject({ to: 'grace@preview.example', subject: 'Welcome Grace' });
  expect(previewCampaignTemplate.preview.html).toContain('Hello Grace at');

  // a contact outside the caller's workspace is NOT_FOUND
  const other = await server.newWorkspace();
  const foreign = await createContact(other, { firstName: 'Foreign' });
  const refused = await ws.ok(
    `query($i: PreviewCampaignTemplateInput!) { previewCampaignTemplate(input: $i) { preview { subject } userErrors { field code } } }`,
    { i: { id: template.id, contactId: foreign } },
  );
  expect(refused.previewCampaignTemplate).toEqual({ preview: null, userErrors: [{ field: ['contactId'], code: 'NOT_FOUND' }] });
});

test('unknown merge fields, invalid MJML and bad values are typed user errors on the right field, nothing saved', async () => {
  const before = await templates();
  const attempt = async (input: Record<string, unknown>) =>
    (await ws.ok(CREATE_TEMPLATE, { i: { name: 'Bad', subject: 'S', source: '<p>x</p>', ...input } })).createCampaignTemplate;
  expect((await attempt({ source: '<p>{{ contact.shoeSize }}</p>' })).userErrors).toEqual([
    expect.objectContaining({ field: ['source'], code: 'BAD_USER_INPUT' }),
  ]);
  expect((await attempt({ subject: 'Hi {{ data.secret }}' })).userErrors).toEqual([expect.objectContaining({ field: ['subject'] })]);
  expect((await attempt({ textBody: '{{ owner.password }}' })).userErrors).toEqual([expect.objectContaining({ field: ['textBody'] })]);
  const mjml = await attempt({ format: 'MJML', source: '<mjml><mj-body><mj-text foo="1">x</mj-text></mj-body></mjml>' });
  expect(mjml.userErrors.length).toBeGreaterThan(0);
  expect(mjml.userErrors.every((e: { field: string[] }) => e.field[0] === 'source')).toBe(true);
  expect((await attempt({ name: '   ' })).userErrors).toEqual([expect.objectContaining({ field: ['name'] })]);
  expect((await attempt({ source: 'x'.repeat(600 * 1024) })).userErrors).toEqual([expect.objectContaining({ field: ['source'] })]);
  const nul = await ws.gql(CREATE_TEMPLATE, { i: { name: 'Nul\u0000', subject: 'S', source: '<p>x</p>' } });
  expect(JSON.stringify(nul)).toMatch(/BAD_USER_INPUT|control/);
  expect(await templates()).toBe(before);
});

test('updates need the current version; a taken name is CONFLICT', async () => {
  const t = await createTemplate(ws, { name: 'Versioned' });
  await createTemplate(ws, { name: 'Taken' });
  const stale = await ws.ok(UPDATE_TEMPLATE, { i: { id: t.id, version: t.version + 5, subject: 'New' } });
  expect(stale.updateCampaignTemplate.userErrors).toEqual([expect.objectContaining({ field: ['version'], code: 'CONFLICT' })]);
  const taken = await ws.ok(UPDATE_TEMPLATE, { i: { id: t.id, version: t.version, name: 'taken' } });
  expect(taken.updateCampaignTemplate.userErrors).toEqual([expect.objectContaining({ field: ['name'], code: 'CONFLICT' })]);
  const ok = await ws.ok(UPDATE_TEMPLATE, { i: { id: t.id, version: t.version, subject: 'New {{ contact.lastName }}' } });
  expect(ok.updateCampaignTemplate.template).toMatchObject({ subject: 'New {{ contact.lastName }}', version: t.version + 1 });
});

test('campaign drafts: unknown template or segment is NOT_FOUND, sender must be configured, past or empty schedules refused', async () => {
  const template = await createTemplate(ws, { name: 'For campaigns' });
  const before = await campaignRows();
  const bad = async (input: Record<string, unknown>) =>
    (await ws.ok(CREATE_CAMPAIGN, { i: { name: 'C', templateId: template.id, ...input } })).createCampaign.userErrors;
  expect(await bad({ segmentIds: ['Q2FtcGFpZ25TZWdtZW50OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA'] })).toEqual([
    expect.objectContaining({ code: expect.stringMatching(/NOT_FOUND|BAD_USER_INPUT/) }),
  ]);
  expect(await bad({ senderAddress: 'nobody@else.example' })).toEqual([expect.objectContaining({ field: ['senderAddress'] })]);
  expect(await bad({ cost: { amount: -1, currency: 'EUR' } })).toEqual([expect.objectContaining({ field: ['cost', 'amount'] })]);
  expect(await campaignRows()).toBe(before);

  const empty = await createCampaign(ws, { templateId: template.id, segmentIds: [await createSegment(server, ws.id, [])] });
  const inFuture = new Date(Date.now() + 3_600_000).toISOString();
  expect((await ws.ok(SCHEDULE, { id: empty.id, at: inFuture })).scheduleCampaign.userErrors).toEqual([
    expect.objectContaining({ field: ['segmentIds'] }),
  ]);
  expect((await ws.ok(SEND_NOW, { id: empty.id })).sendCampaignNow.userErrors).toEqual([
    expect.objectContaining({ field: ['segmentIds'] }),
  ]);
  const contact = await createContact(ws, { firstName: 'Sched' });
  const full = await createCampaign(ws, {
    templateId: template.id,
    segmentIds: [await createSegment(server, ws.id, [contact])],
    cost: { amount: 12_50, currency: 'EUR' },
  });
  const past = await ws.ok(SCHEDULE, { id: full.id, at: new Date(Date.now() - 60_000).toISOString() });
  expect(past.scheduleCampaign.userErrors).toEqual([expect.objectContaining({ field: ['at'] })]);
  expect(await count(server, `select count(*) from campaign where workspace_id = ? and status <> 'draft'`, [ws.id])).toBe(0);
  expect(await count(server, `select count(*) from campaign_send where workspace_id = ?`, [ws.id])).toBe(0);
});

test('a member without campaign:manage cannot create templates', async () => {
  const sales = await ws.addMember('Sam', 'SALES');
  const res = await sales.gql(CREATE_TEMPLATE, { i: { name: 'X', subject: 'S', source: '<p>x</p>' } });
  expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
});
