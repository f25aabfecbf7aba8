import { jest } from '@jest/globals';
import { TestClock } from 'pg-boss';
import campaigns from '../../../plugins/campaigns/plugin.js';
import { emailHash } from '../../../src/core/privacy/suppression.js';
import { startPluginServer, tickUntil, until, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import { TestSmtp } from '../../email/smtp.js';
import {
  SCHEDULE,
  SEND_NOW,
  STATS,
  count,
  createCampaign,
  createContact,
  createSegment,
  createTemplate,
  rawId,
  sendsOf,
} from './helpers.js';

/**
 * Campaign sending end to end: GraphQL mutations → send rows → the plugin's jobs on the real queue (pg-boss on the
 * test clock) → the kernel's sendEmail → a real SMTP server; delivery events back through the outbox.
 */
// each test drives a whole campaign through the queue and a real SMTP server: minutes on a loaded machine
jest.setTimeout(180_000);

const clock = new TestClock(Date.now());
let server: PluginTestServer;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await new TestSmtp().start();
  server = await startPluginServer([campaigns], {
    env: { SMTP_URL: smtp.url, MAIL_FROM: 'Acme <news@acme.example>' },
    jobQueue: { clock, email: true },
  });
  await server.startOutboxWorker();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

async function workspace(): Promise<PluginTestWorkspace> {
  const ws = await server.newWorkspace();
  await ws.enable('campaigns');
  return ws;
}

const campaignStatus = async (id: string) =>
  (await server.orm.em.getConnection().execute(`select status from campaign where id = ?`, [rawId(id)]))[0]?.status as string;

/** Moves the clock until the campaign is sent and every handed-off message got its SMTP answer. */
async function sendToEnd(campaignId: string) {
  await tickUntil(
    clock,
    until(async () => {
      if ((await campaignStatus(campaignId)) !== 'sent') return false;
      return (await sendsOf(server, campaignId)).every((s) => s.status !== 'sent');
    }),
    2000,
  );
}

const mailsTo = (campaignAddressDomain: string) => smtp.received.filter((m) => m.to.some((t) => t.endsWith(campaignAddressDomain)));

test('exactly the expected recipients receive it, each suppressed one is skipped with its reason; headers and merge fields', async () => {
  const ws = await workspace();
  const d = `@${ws.id.slice(0, 8)}.example`;
  const mk = (firstName: string, extra: Record<string, unknown> = {}) =>
    createContact(ws, { firstName, emails: [{ email: `${firstName.toLowerCase()}${d}`, primary: true }], ...extra });
  const ann = await mk('Ann');
  const bob = await mk('Bob', { marketingConsent: 'GRANTED' });
  const dnc = await mk('Dnc', { doNotContact: true });
  const dne = await mk('Dne', { doNotEmail: true });
  const withdrawn = await mk('Withdrawn', { marketingConsent: 'WITHDRAWN' });
  const noEmail = await createContact(ws, { firstName: 'Nomail' });
  const unsub = await mk('Unsub');
  const bounced = await mk('Bounced');
  const complained = await mk('Complained');
  const erased = await mk('Erased');
  const outsider = await mk('Outsider');
  const conn = server.orm.em.getConnection();
  for (const [who, kind] of [
    ['unsub', 'unsubscribed'],
    ['bounced', 'bounced'],
    ['complained', 'complained'],
  ] as const)
    await conn.execute(
      `insert into campaign_suppression (id, workspace_id, email, kind, created_at, updated_at) values (gen_random_uuid(), ?, ?, ?, now(), now())`,
      [ws.id, `${who}${d}`, kind],
    );
  await conn.execute(`insert into email_suppression (workspace_id, email_hash, created_at) values (?, ?, now())`, [
    ws.id,
    emailHash(ws.id, `erased${d}`),
  ]);
  const audience = [ann, bob, dnc, dne, withdrawn, noEmail, unsub, bounced, complained, erased];
  const s1 = await createSegment(server, ws.id, audience.slice(0, 6));
  const s2 = await createSegment(server, ws.id, [ann, ...audience.slice(6)]); // Ann is in both: once
  expect(outsider).toBeDefined();

  const template = await createTemplate(ws, {
    subject: 'News for {{ contact.firstName }}',
    preheader: 'The preview line',
    source:
      '<html><head><style>p { color: #123456 }</style></head><body><p>Hi {{ contact.firstName }} of {{ workspace.name }}</p><a href="{{ data.unsubscribeUrl }}">Unsubscribe</a></body></html>',
  });
  expect(template.compiledHtml).toContain('style="color: #123456;"');
  const campaign = await createCampaign(ws, { templateId: template.id, segmentIds: [s1, s2] });
  const { sendCampaignNow } = await ws.ok(SEND_NOW, { id: campaign.id });
  expect(sendCampaignNow.userErrors).toEqual([]);
  expect(sendCampaignNow.campaign).toMatchObject({ status: 'SENDING', recipientCount: 10 });

  await sendToEnd(campaign.id);

  const received = mailsTo(d);
  expect(received.map((m) => m.to[0]).sort()).toEqual([`ann${d}`, `bob${d}`]);
  const annMail = received.find((m) => m.to[0] === `ann${d}`)!;
  expect(annMail.subject).toBe('News for Ann');
  expect(annMail.html).toMatch(/<body[^>]*><div style="display:none[^"]*">The preview line<\/div>/);
  expect(annMail.html).toContain('Hi Ann of Plugin test');

  const sends = await sendsOf(server, campaign.id);
  const byEmail = Object.fromEntries(sends.map((s) => [s.contact_id, { status: s.status, reason: s.skip_reason }]));
  expect(byEmail).toEqual({
    [rawId(ann)]: { status: 'delivered', reason: null },
    [rawId(bob)]: { status: 'delivered', reason: null },
    [rawId(dnc)]: { status: 'skipped', reason: 'do_not_contact' },
    [rawId(dne)]: { status: 'skipped', reason: 'do_not_email' },
    [rawId(withdrawn)]: { status: 'skipped', reason: 'no_consent' },
    [rawId(noEmail)]: { status: 'skipped', reason: 'no_email' },
    [rawId(unsub)]: { status: 'skipped', reason: 'unsubscribed' },
    [rawId(bounced)]: { status: 'skipped', reason: 'bounced' },
    [rawId(complained)]: { status: 'skipped', reason: 'complained' },
    [rawId(erased)]: { status: 'skipped', reason: 'privacy_suppressed' },
  });
  const { campaign: withStats } = await ws.ok(STATS, { id: campaign.id });
  expect(withStats.status).toBe('SENT');
  expect(withStats.stats).toMatchObject({ recipients: 10, sent: 2, delivered: 2, skipped: 8, failed: 0, queued: 0 });
  expect(withStats.stats.skippedByReason).toEqual(
    ['bounced', 'complained', 'do_not_contact', 'do_not_email', 'no_consent', 'no_email', 'privacy_suppressed', 'unsubscribed'].map(
      (reason) => ({ reason, count: 1 }),
    ),
  );
  // the kernel put each message on the contact's timeline, with the campaign as its source
  const { timeline } = await ws.ok(
    `query($id: ID!) { timeline(targetId: $id, first: 10) { edges { node { entryType ... on TimelineEvent { title data } } } } }`,
    { id: ann },
  );
  expect(timeline.edges.map((e: { node: { entryType: string; title: string } }) => [e.node.entryType, e.node.title])).toEqual([
    ['email.sent', 'News for Ann'],
  ]);
});

test('sending twice is CONFLICT and nobody receives it twice; scheduling a started campaign too', async () => {
  const ws = await workspace();
  const d = `@${ws.id.slice(0, 8)}.example`;
  const ids = await Promise.all(
    ['a', 'b', 'c'].map((n) => createContact(ws, { firstName: n, emails: [{ email: `${n}${d}`, primary: true }] })),
  );
  const template = await createTemplate(ws, { source: '<p>Once</p>' });
  const campaign = await createCampaign(ws, { templateId: template.id, segmentIds: [await createSegment(server, ws.id, ids)] });
  expect((await ws.ok(SEND_NOW, { id: campaign.id })).sendCampaignNow.userErrors).toEqual([]);
  const again = await ws.ok(SEND_NOW, { id: campaign.id });
  expect(again.sendCampaignNow.userErrors).toEqual([expect.objectContaining({ field: ['id'], code: 'CONFLICT' })]);
  const later = new Date(clock.now() + 3_600_000).toISOString();
  expect((await ws.ok(SCHEDULE, { id: campaign.id, at: later })).scheduleCampaign.userErrors).toEqual([
    expect.objectContaining({ code: 'CONFLICT' }),
  ]);
  await sendToEnd(campaign.id);
  expect((await ws.ok(SEND_NOW, { id: campaign.id })).sendCampaignNow.userErrors[0].code).toBe('CONFLICT');
  expect(
    mailsTo(d)
      .map((m) => m.to[0])
      .sort(),
  ).toEqual([`a${d}`, `b${d}`, `c${d}`]);
  expect(await count(server, `select count(*) from campaign_send where campaign_id = ?`, [rawId(campaign.id)])).toBe(3);
});

test('a scheduled campaign starts at its time, not before', async () => {
  const ws = await workspace();
  const d = `@${ws.id.slice(0, 8)}.example`;
  const id = await createContact(ws, { firstName: 'Sched', emails: [{ email: `sched${d}`, primary: true }] });
  const template = await createTemplate(ws, { source: '<p>Later</p>' });
  const campaign = await createCampaign(ws, { templateId: template.id, segmentIds: [await createSegment(server, ws.id, [id])] });
  const at = new Date(Math.max(clock.now(), Date.now()) + 30 * 60_000);
  const { scheduleCampaign } = await ws.ok(SCHEDULE, { id: campaign.id, at: at.toISOString() });
  expect(scheduleCampaign.campaign).toMatchObject({ status: 'SCHEDULED', scheduledAt: at.toISOString() });
  await clock.tick(60_000);
  expect(await count(server, `select count(*) from campaign_send where campaign_id = ?`, [rawId(campaign.id)])).toBe(0);
  await clock.setTime(at.getTime() + 1000);
  await sendToEnd(campaign.id);
  expect(mailsTo(d).map((m) => m.to[0])).toEqual([`sched${d}`]);
});

test('a row claimed by a dead process is given back only after its lease, then sent once', async () => {
  const ws = await workspace();
  const d = `@${ws.id.slice(0, 8)}.example`;
  const ids = await Promise.all(['x', 'y'].map((n) => createContact(ws, { firstName: n, emails: [{ email: `${n}${d}`, primary: true }] })));
  const template = await createTemplate(ws, { source: '<p>Lease</p>' });
  const campaign = await createCampaign(ws, { templateId: template.id, segmentIds: [await createSegment(server, ws.id, ids)] });
  // a process claimed x and died before its hand-off committed: claimed, no message, no hand-off job
  const conn = server.orm.em.getConnection();
  await ws.ok(SEND_NOW, { id: campaign.id });
  await conn.execute(
    `update campaign_send set status = 'claimed', claim_token = gen_random_uuid(), claimed_at = ? where campaign_id = ? and contact_id = ?`,
    [new Date(clock.now()), rawId(campaign.id), rawId(ids[0]!)],
  );
  await tickUntil(
    clock,
    until(async () => mailsTo(d).length === 1),
    2000,
  );
  expect(mailsTo(d).map((m) => m.to[0])).toEqual([`y${d}`]);
  expect(await campaignStatus(campaign.id)).toBe('sending');
  // within the lease nothing happens to x
  await clock.tick(5 * 60_000);
  expect((await sendsOf(server, campaign.id)).find((s) => s.contact_id === rawId(ids[0]!))!.status).toBe('claimed');
  // after it, the sweep gives x back and it is sent, once
  await clock.setTime(clock.now() + 6 * 60_000);
  await sendToEnd(campaign.id);
  expect(
    mailsTo(d)
      .map((m) => m.to[0])
      .sort(),
  ).toEqual([`x${d}`, `y${d}`]);
});

test('an SMTP 5xx marks the address hard-bounced (event) and the next campaign skips it; retry re-queues only failures', async () => {
  const ws = await workspace();
  const d = `@${ws.id.slice(0, 8)}.example`;
  const id = await createContact(ws, { firstName: 'Gone', emails: [{ email: `gone${d}`, primary: true }] });
  const template = await createTemplate(ws, { source: '<p>Bounce</p>' });
  const segment = await createSegment(server, ws.id, [id]);
  const first = await createCampaign(ws, { templateId: template.id, segmentIds: [segment] });
  smtp.rejectNext(1, 550);
  await ws.ok(SEND_NOW, { id: first.id });
  await sendToEnd(first.id);
  await until(
    async () =>
      (await count(server, `select count(*) from outbox_event where workspace_id = ? and type = 'campaign.emailBounced'`, [ws.id])) === 1,
  );
  expect(await count(server, `select count(*) from campaign_suppression where workspace_id = ? and kind = 'bounced'`, [ws.id])).toBe(1);
  expect((await sendsOf(server, first.id))[0]).toMatchObject({ status: 'failed', email: `gone${d}` });
  expect((await ws.ok(STATS, { id: first.id })).campaign.stats).toMatchObject({ failed: 1, bounces: 1, delivered: 0 });
  const [bounce] = await server.orm.em
    .getConnection()
    .execute(`select payload from outbox_event where workspace_id = ? and type = 'campaign.emailBounced'`, [ws.id]);
  expect(typeof bounce.payload === 'string' ? JSON.parse(bounce.payload) : bounce.payload).toMatchObject({ contactId: rawId(id) });

  // retrying re-queues the failed recipient; suppression now skips it as bounced
  const { retryFailedCampaignSends } = await ws.ok(
    `mutation($id: ID!) { retryFailedCampaignSends(input: { id: $id }) { requeued userErrors { code } } }`,
    { id: first.id },
  );
  expect(retryFailedCampaignSends).toEqual({ requeued: 1, userErrors: [] });
  await sendToEnd(first.id);
  expect((await sendsOf(server, first.id))[0]).toMatchObject({ status: 'skipped', skip_reason: 'bounced' });

  const second = await createCampaign(ws, { templateId: template.id, segmentIds: [segment] });
  await ws.ok(SEND_NOW, { id: second.id });
  await sendToEnd(second.id);
  expect((await sendsOf(server, second.id))[0]).toMatchObject({ status: 'skipped', skip_reason: 'bounced' });
  expect(mailsTo(d)).toHaveLength(0);
});

test('OPTED_IN_ONLY sends only to contacts whose marketing consent is GRANTED', async () => {
  const ws = await workspace();
  await ws.ok(
    `mutation { updateModuleSettings(input: { id: "campaigns", settings: { consentPolicy: "OPTED_IN_ONLY" } }) { userErrors { message } } }`,
  );
  const d = `@${ws.id.slice(0, 8)}.example`;
  const yes = await createContact(ws, { firstName: 'Yes', marketingConsent: 'GRANTED', emails: [{ email: `yes${d}`, primary: true }] });
  const unknown = await createContact(ws, { firstName: 'Unknown', emails: [{ email: `unknown${d}`, primary: true }] });
  const template = await createTemplate(ws, { source: '<p>Opt-in</p>' });
  const campaign = await createCampaign(ws, { templateId: template.id, segmentIds: [await createSegment(server, ws.id, [yes, unknown])] });
  await ws.ok(SEND_NOW, { id: campaign.id });
  await sendToEnd(campaign.id);
  expect(mailsTo(d).map((m) => m.to[0])).toEqual([`yes${d}`]);
  expect((await sendsOf(server, campaign.id)).find((s) => s.contact_id === rawId(unknown))!.skip_reason).toBe('no_consent');
});

test('throttle: at most throttlePerMinute claims per minute in the workspace', async () => {
  const ws = await workspace();
  await ws.ok(
    `mutation { updateModuleSettings(input: { id: "campaigns", settings: { throttlePerMinute: 2 } }) { userErrors { message } } }`,
  );
  const d = `@${ws.id.slice(0, 8)}.example`;
  const ids = await Promise.all(
    ['t1', 't2', 't3', 't4', 't5'].map((n) => createContact(ws, { firstName: n, emails: [{ email: `${n}${d}`, primary: true }] })),
  );
  const template = await createTemplate(ws, { source: '<p>Slow</p>' });
  const campaign = await createCampaign(ws, { templateId: template.id, segmentIds: [await createSegment(server, ws.id, ids)] });
  await ws.ok(SEND_NOW, { id: campaign.id });
  const start = clock.now();
  await sendToEnd(campaign.id);
  const claims = await server.orm.em
    .getConnection()
    .execute(`select claimed_at from campaign_send where campaign_id = ? order by claimed_at`, [rawId(campaign.id)]);
  const times = claims.map((r: { claimed_at: string | Date }) => new Date(r.claimed_at).getTime());
  for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!).toBeGreaterThanOrEqual(60_000);
  expect(clock.now() - start).toBeGreaterThanOrEqual(2 * 60_000);
  expect(mailsTo(d)).toHaveLength(5);
});
