import { jest } from '@jest/globals';
import { TestClock } from 'pg-boss';
import campaigns from '../../../plugins/campaigns/plugin.js';
import { startPluginServer, tickUntil, until, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import { TestSmtp, type ReceivedMail } from '../../email/smtp.js';
import { SEND_NOW, STATS, count, createCampaign, createContact, createSegment, createTemplate, rawId, sendsOf } from './helpers.js';

/**
 * Tracking over real HTTP: a campaign goes out through the real queue and SMTP server; the test follows the links of
 * the received messages — the open pixel, click redirects, the unsubscribe page and RFC 8058's one-click POST — and
 * checks what was recorded, emitted and put on the timeline, and that forged links lead nowhere and write nothing.
 */
jest.setTimeout(180_000);

const PUBLIC = 'https://crm.example.test';
const HUMAN = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const clock = new TestClock(Date.now());
let server: PluginTestServer;
let smtp: TestSmtp;
let base: string;

beforeAll(async () => {
  smtp = await new TestSmtp().start();
  server = await startPluginServer([campaigns], {
    env: { SMTP_URL: smtp.url, MAIL_FROM: 'Acme <news@acme.example>', API_PUBLIC_URL: PUBLIC },
    jobQueue: { clock, email: true, automation: true },
  });
  base = await server.app.http.listen({ port: 0, host: '127.0.0.1' });
  await server.startOutboxWorker({ pollMs: 20 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const conn = () => server.orm.em.getConnection();
/** A link of a received message, pointed at the test server instead of the public URL. */
const local = (url: string) => {
  expect(url.startsWith(`${PUBLIC}/plugins/campaigns/`)).toBe(true);
  return `${base}${url.slice(PUBLIC.length)}`;
};
const hrefs = (mail: ReceivedMail) => [...mail.html!.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
const pixelOf = (mail: ReceivedMail) => /<img src="([^"]*\/t\/o\/[^"]*)"/.exec(mail.html!)![1]!;

interface Sent {
  ws: PluginTestWorkspace;
  campaignId: string;
  contacts: Record<string, string>;
  mails: Record<string, ReceivedMail>;
}

/** A campaign with a tracked link (query string with `&`), a mailto link and the unsubscribe link, sent to `names`. */
async function sendCampaign(names: string[], ws?: PluginTestWorkspace): Promise<Sent> {
  ws ??= await server.newWorkspace();
  await ws.enable('campaigns');
  const d = `@${ws.id.slice(0, 8)}.example`;
  const contacts: Record<string, string> = {};
  for (const name of names)
    contacts[name] = await createContact(ws, { firstName: name, emails: [{ email: `${name}${d}`, primary: true }] });
  const template = await createTemplate(ws, {
    subject: 'Spring news',
    source:
      '<html><body><p>Hi {{ contact.firstName }}</p><a href="https://shop.example/spring?a=1&amp;b=2">Shop</a> <a href="mailto:help@acme.example">Mail us</a> <a href="{{ data.unsubscribeUrl }}">Unsubscribe</a></body></html>',
  });
  const campaign = await createCampaign(ws, {
    templateId: template.id,
    segmentIds: [await createSegment(server, ws.id, Object.values(contacts))],
  });
  expect((await ws.ok(SEND_NOW, { id: campaign.id })).sendCampaignNow.userErrors).toEqual([]);
  await tickUntil(
    clock,
    until(async () => {
      const sends = await sendsOf(server, campaign.id);
      return sends.length === names.length && sends.every((s) => s.status === 'delivered');
    }),
    2000,
  );
  const mails: Record<string, ReceivedMail> = {};
  for (const name of names) mails[name] = smtp.received.find((m) => m.to[0] === `${name}${d}`)!;
  return { ws, campaignId: campaign.id, contacts, mails };
}

const engagement = (campaignId: string) =>
  conn().execute(`select kind, link_index, machine from campaign_engagement where campaign_id = ? order by occurred_at, kind`, [
    rawId(campaignId),
  ]);
const events = async (workspaceId: string, type: string) =>
  (
    await conn().execute(`select payload from outbox_event where workspace_id = ? and type = ? order by occurred_at`, [workspaceId, type])
  ).map((r: { payload: unknown }) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
const timeline = async (workspaceId: string, contactId: string) =>
  (
    await conn().execute(
      `select e.entry_type, e.title from timeline_event e join timeline_link l on l.entry_id = e.id and l.entry_kind = 'event'
        where e.workspace_id = ? and l.target_type = 'Contact' and l.target_id = ? order by e.occurred_at, e.entry_type`,
      [workspaceId, rawId(contactId)],
    )
  ).map((r: { entry_type: string }) => r.entry_type);

test('every message carries RFC 8058 headers, the sender, a signed unsubscribe link, rewritten links and the pixel', async () => {
  const { mails } = await sendCampaign(['ann']);
  const mail = mails.ann!;
  expect(mail.headers.from).toBe('Acme <news@acme.example>');
  expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
  const listUnsubscribe = /^<(.+)>$/.exec(mail.headers['list-unsubscribe']!)![1]!;
  expect(listUnsubscribe).toMatch(new RegExp(`^${PUBLIC}/plugins/campaigns/u/[A-Za-z0-9_.-]+$`));
  const links = hrefs(mail);
  // the tracked link became a redirect; mailto and the unsubscribe link (a merge field) are sent as written
  expect(links).toEqual([expect.stringMatching(/\/plugins\/campaigns\/t\/c\//), 'mailto:help@acme.example', listUnsubscribe]);
  expect(mail.html).not.toContain('shop.example');
  expect(pixelOf(mail)).toMatch(/\/plugins\/campaigns\/t\/o\//);
});

test('opens: the pixel answers a GIF that is never cached; a prefetch at delivery is a machine open; one event for the first human open', async () => {
  const { ws, campaignId, contacts, mails } = await sendCampaign(['ann']);
  const pixel = local(pixelOf(mails.ann!));

  // fetched right after delivery (a privacy proxy): kept, flagged, no event
  const prefetch = await fetch(pixel, { headers: { 'user-agent': HUMAN } });
  expect(prefetch.status).toBe(200);
  expect(prefetch.headers.get('content-type')).toBe('image/gif');
  expect(prefetch.headers.get('cache-control')).toBe('no-store');
  expect(
    Buffer.from(await prefetch.arrayBuffer())
      .subarray(0, 6)
      .toString(),
  ).toBe('GIF89a');
  expect(await engagement(campaignId)).toEqual([{ kind: 'open', link_index: null, machine: true }]);

  await clock.setTime(clock.now() + 5 * 60_000);
  await fetch(pixel, { headers: { 'user-agent': HUMAN } });
  await fetch(pixel, { headers: { 'user-agent': HUMAN } });
  await fetch(pixel, { headers: { 'user-agent': 'python-requests/2.32' } });
  expect((await engagement(campaignId)).map((e: { machine: boolean }) => e.machine)).toEqual([true, false, false, true]);
  expect(await events(ws.id, 'campaign.emailOpened')).toEqual([
    { campaignId: rawId(campaignId), sendId: expect.any(String), contactId: rawId(contacts.ann!), machine: false },
  ]);
  expect(await timeline(ws.id, contacts.ann!)).toContain('campaign.emailOpened');

  const { campaign } = await ws.ok(STATS, { id: campaignId });
  expect(campaign.stats).toMatchObject({ uniqueOpens: 1, totalOpens: 2, machineOpens: 2 });
});

test('clicks redirect only to the campaign’s recorded link; forged or altered links answer 404 and record nothing', async () => {
  const { ws, campaignId, contacts, mails } = await sendCampaign(['ann', 'bob']);
  const click = local(hrefs(mails.ann!)[0]!);
  await clock.setTime(clock.now() + 5 * 60_000);

  const response = await fetch(click, { redirect: 'manual', headers: { 'user-agent': HUMAN } });
  expect(response.status).toBe(302);
  expect(response.headers.get('location')).toBe('https://shop.example/spring?a=1&b=2');
  expect(await engagement(campaignId)).toEqual([{ kind: 'click', link_index: 0, machine: false }]);
  const [clicked] = await events(ws.id, 'campaign.emailClicked');
  expect(clicked).toMatchObject({ contactId: rawId(contacts.ann!), url: 'https://shop.example/spring?a=1&b=2' });
  expect(await timeline(ws.id, contacts.ann!)).toContain('campaign.emailClicked');

  const token = click.slice(click.lastIndexOf('/') + 1);
  const [keyId, data, mac] = token.split('.') as [string, string, string];
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  const forged = [
    `${keyId}.${flip(data, 10)}.${mac}`, // altered data (another send or link)
    `${keyId}.${data}.${flip(mac, 3)}`, // altered signature
    `${keyId}.${Buffer.from(`${ws.id}:${rawId(contacts.bob!)}:0`).toString('base64url')}.${mac}`, // someone else's data
    token.slice(0, -4), // truncated
    pixelOf(mails.ann!).split('/').pop()!, // a valid token of another purpose (the pixel's)
  ];
  for (const bad of forged) {
    const answer = await fetch(`${click.slice(0, click.lastIndexOf('/') + 1)}${bad}`, { redirect: 'manual' });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('location')).toBeNull();
  }
  expect(await engagement(campaignId)).toHaveLength(1);

  const { campaign } = await ws.ok(STATS, { id: campaignId });
  expect(campaign.stats).toMatchObject({
    uniqueClicks: 1,
    totalClicks: 1,
    links: [{ index: 0, url: 'https://shop.example/spring?a=1&b=2', clicks: 1, uniqueClicks: 1 }],
  });
});

test('unsubscribe: GET only asks; the one-click POST suppresses the address, withdraws consent with its source, and the next campaign skips it', async () => {
  const { ws, contacts, mails } = await sendCampaign(['ann', 'bob']);
  const url = local(/^<(.+)>$/.exec(mails.ann!.headers['list-unsubscribe']!)![1]!);
  const suppressed = () =>
    count(server, `select count(*) as n from campaign_suppression where workspace_id = ? and kind = 'unsubscribed'`, [ws.id]);

  const ask = await fetch(url);
  expect(ask.status).toBe(200);
  expect(await ask.text()).toContain('<form method="post">');
  expect(await suppressed()).toBe(0);

  // forged: nothing written
  const forged = await fetch(`${url.slice(0, -3)}xyz`, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) });
  expect(forged.status).toBe(404);
  expect(await suppressed()).toBe(0);

  const oneClick = await fetch(url, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) });
  expect(oneClick.status).toBe(200);
  expect(await oneClick.text()).toContain('You are unsubscribed');
  expect(await suppressed()).toBe(1);
  const again = await fetch(url, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) });
  expect(again.status).toBe(200);
  expect(await suppressed()).toBe(1);
  expect(await events(ws.id, 'campaign.emailUnsubscribed')).toHaveLength(1);
  expect(await timeline(ws.id, contacts.ann!)).toContain('campaign.emailUnsubscribed');

  const { contact } = await ws.ok(
    `query($id: ID!) { contact(id: $id) { marketingConsent consentHistory(first: 5) { edges { node { field to source } } } } }`,
    { id: contacts.ann },
  );
  expect(contact.marketingConsent).toBe('WITHDRAWN');
  expect(contact.consentHistory.edges.map((e: { node: unknown }) => e.node)).toContainEqual(
    expect.objectContaining({ field: 'MARKETING_CONSENT', to: 'WITHDRAWN', source: expect.stringContaining('unsubscribe link of') }),
  );

  // a campaign to both again: Ann is skipped, Bob receives it
  const template = await createTemplate(ws, { source: '<p>Again</p>' });
  const campaign = await createCampaign(ws, {
    templateId: template.id,
    segmentIds: [await createSegment(server, ws.id, [contacts.ann!, contacts.bob!])],
  });
  await ws.ok(SEND_NOW, { id: campaign.id });
  await tickUntil(
    clock,
    until(async () => (await sendsOf(server, campaign.id)).every((s) => s.status === 'delivered' || s.status === 'skipped')),
    2000,
  );
  const sends = await sendsOf(server, campaign.id);
  expect(sends.find((s) => s.contact_id === rawId(contacts.ann!))).toMatchObject({ status: 'skipped' });
  expect(sends.find((s) => s.contact_id === rawId(contacts.bob!))).toMatchObject({ status: 'delivered' });
});

test('engagement drives automation rules and dynamic segments (opened / never opened)', async () => {
  const ws = await server.newWorkspace();
  await ws.enable('campaigns');
  const rule = await ws.ok(
    `mutation($i: CreateAutomationRuleInput!) { createAutomationRule(input: $i) { rule { id } userErrors { field message } } }`,
    {
      i: {
        name: 'Hot leads',
        definition: {
          trigger: { type: 'event', event: 'campaign.emailClicked' },
          actions: [{ type: 'addTags', tags: ['clicked-campaign'] }],
        },
      },
    },
  );
  expect(rule.createAutomationRule.userErrors).toEqual([]);
  const segment = async (name: string, rules: unknown) =>
    (
      await ws.ok(
        `mutation($i: CreateCampaignSegmentInput!) { createCampaignSegment(input: $i) { segment { id memberCount } userErrors { field message } } }`,
        { i: { name, kind: 'DYNAMIC', rules } },
      )
    ).createCampaignSegment.segment as { id: string };
  const opened = await segment('Openers', { fact: 'campaigns.opened', params: { withinLastDays: 30 } });
  const never = await segment('Never opened', { fact: 'campaigns.neverOpened', params: {} });
  const members = async (segmentId: string) =>
    (
      await conn().execute(`select contact_id from campaign_segment_member where segment_id = ? order by contact_id`, [rawId(segmentId)])
    ).map((r: { contact_id: string }) => r.contact_id);

  const { contacts, mails } = await sendCampaign(['ann', 'bob'], ws);
  await tickUntil(
    clock,
    until(async () => (await members(never.id)).length === 2),
    2000,
  );
  await clock.setTime(clock.now() + 5 * 60_000);
  await fetch(local(hrefs(mails.ann!)[0]!), { redirect: 'manual', headers: { 'user-agent': HUMAN } });
  const tags = async (id: string) =>
    (
      await conn().execute(
        `select t.name from tag t join contact_tag ct on ct.tag_id = t.id where t.workspace_id = ? and ct.contact_id = ? order by t.name`,
        [ws.id, rawId(id)],
      )
    ).map((r: { name: string }) => r.name);
  await tickUntil(
    clock,
    until(async () => (await tags(contacts.ann!)).includes('clicked-campaign') && (await members(opened.id)).length === 1),
    2000,
  );
  expect(await members(opened.id)).toEqual([rawId(contacts.ann!)]);
  expect(await members(never.id)).toEqual([rawId(contacts.bob!)]);
  expect(await tags(contacts.bob!)).toEqual([]);
  const preview = await ws.ok(`query($r: JSON!) { campaignSegmentPreview(rules: $r) { count } }`, {
    r: { fact: 'campaigns.clicked', params: {} },
  });
  expect(preview.campaignSegmentPreview.count).toBe(1);
});
