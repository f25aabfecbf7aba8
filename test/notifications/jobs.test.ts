import type { SqlEntityManager } from '@mikro-orm/sql';
import { TestClock } from 'pg-boss';
import { OutboxWorker } from '../../src/events/outbox-worker.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { notify } from '../../src/core/notifications/notifications.service.js';
import { disableFailingWebhookEndpoints } from '../../src/core/webhooks/delivery.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { tickUntil } from '../../src/sdk/testing.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { makeEndpoint } from '../webhooks/helpers.js';
import { createContact, inboxOf, logTask, MailSink, until, type Member } from './helpers.js';

/**
 * The notification jobs on the real queue (pg-boss, time driven by its TestClock: `setTime` jumps, never sleeping)
 * and real email: a real SMTP server on loopback receives what the app sends over SMTP_URL.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const clock = new TestClock(Date.now());
let server: TestServer;
let sink: MailSink;
let outbox: OutboxWorker;

beforeAll(async () => {
  sink = await new MailSink().start();
  server = await startTestServer({
    env: { SMTP_URL: sink.url, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' },
    queue: { clock, notifications: true },
  });
  outbox = new OutboxWorker({ orm: server.appOrm, pollMs: 20, backoffBaseMs: 20, leaseMarginMs: 1000 }).start();
}, 150_000);
afterAll(async () => {
  await outbox?.stop(1000);
  await server?.close();
  await sink?.close();
});

const UPDATE = `mutation($i: [NotificationPreferenceInput!]!, $tz: String, $h: Int) {
  updateNotificationPreferences(input: $i, timeZone: $tz, digestHour: $h) { userErrors { field message } }
}`;

async function prefer(member: Member, input: { type: string; channel: string; enabled: boolean }[], tz?: string, h?: number) {
  const res = await server.gql(UPDATE, { i: input, tz, h }, member.headers);
  expect(res.errors).toBeUndefined();
  expect(res.data.updateNotificationPreferences.userErrors).toEqual([]);
}

const notifyNow = (workspaceId: string, userIds: string[], title: string, sourceEventId?: string) =>
  withWorkspace(server.appOrm, workspaceId, (em) =>
    em.transactional((tx) => notify(tx as SqlEntityManager, { workspaceId, userIds, type: 'automation.notify', title, sourceEventId })),
  );

/** Moves the clock to `at` (the timers passed fire once, as after a sleeping process). */
async function jumpTo(at: number): Promise<void> {
  await clock.setTime(at);
  await clock.tick(1000);
}

const subjectOf = (raw: string) => /^Subject: (.*)$/m.exec(raw)?.[1]?.trim();

test('email now: the member who chose it gets one email per notification; the others none', async () => {
  const ws = await server.newWorkspace();
  const mailMe = await ws.addMember('Mail Me');
  const inAppOnly = await ws.addMember('In App');
  await prefer(mailMe, [{ type: 'automation.notify', channel: 'EMAIL', enabled: true }]);
  expect(await notifyNow(ws.id, [mailMe.id, inAppOnly.id], 'Quarterly numbers are in')).toBe(2);

  await tickUntil(
    clock,
    until(async () => sink.to(mailMe.email).length > 0),
  );
  const [mail] = sink.to(mailMe.email);
  expect(subjectOf(mail!.raw)).toBe('Quarterly numbers are in');
  expect(mail!.raw).toContain('Quarterly numbers are in');
  const [row] = await server.orm.em
    .getConnection()
    .execute<{ emailed_at: unknown }[]>(`select emailed_at from notification where user_id = ?`, [mailMe.id]);
  expect(row!.emailed_at).not.toBeNull();
  for (let i = 0; i < 8; i++) await clock.tick(15_000);
  expect(sink.to(mailMe.email)).toHaveLength(1);
  expect(sink.to(inAppOnly.email)).toHaveLength(0);
}, 150_000);

test('the daily digest goes out at the member’s local hour, once, listing what is undigested', async () => {
  const ws = await server.newWorkspace();
  const tokyo = await ws.addMember('Tokyo Digest');
  await prefer(tokyo, [{ type: 'automation.notify', channel: 'DIGEST', enabled: true }], 'Asia/Tokyo', 9);
  await notifyNow(ws.id, [tokyo.id], 'First thing');
  await notifyNow(ws.id, [tokyo.id], 'Second thing');

  // 08:40 in Tokyo (UTC+9, no daylight saving) is 23:40 UTC: the next one at least a day ahead
  const before = new Date(clock.now() + 24 * HOUR);
  before.setUTCHours(23, 40, 0, 0);
  await jumpTo(before.getTime());
  for (let i = 0; i < 4; i++) await clock.tick(15_000);
  expect(sink.to(tokyo.email)).toHaveLength(0);

  await tickUntil(
    clock,
    until(async () => sink.to(tokyo.email).length > 0),
  );
  expect(clock.now()).toBeGreaterThanOrEqual(before.getTime() + 20 * MIN);
  const [digest] = sink.to(tokyo.email);
  expect(subjectOf(digest!.raw)).toBe('Your daily digest: 2 notifications');
  expect(digest!.raw).toContain('- Second thing');
  expect(digest!.raw).toContain('- First thing');

  // a new notification after the digest waits for the next local day: not another digest in the following hours
  await notifyNow(ws.id, [tokyo.id], 'Third thing');
  for (let h = 1; h <= 3; h++) {
    await jumpTo(before.getTime() + h * HOUR + 25 * MIN);
    for (let i = 0; i < 4; i++) await clock.tick(15_000);
  }
  expect(sink.to(tokyo.email)).toHaveLength(1);
  const rows = await server.orm.em
    .getConnection()
    .execute<{ title: string; digested_at: unknown }[]>(`select title, digested_at from notification where user_id = ? order by title`, [
      tokyo.id,
    ]);
  expect(rows.map((r) => [r.title, r.digested_at != null])).toEqual([
    ['First thing', true],
    ['Second thing', true],
    ['Third thing', false],
  ]);
}, 150_000);

test('the due-task job notifies the assignee once when a task is due soon, and once when it is overdue', async () => {
  const ws = await server.newWorkspace();
  const sam = await ws.addMember('Sam Sales');
  const contact = await createContact(ws, 'Due', toGlobalId('User', sam.id));
  const dueAt = new Date(clock.now() + 40 * MIN);
  const taskId = await logTask(server, ws.headers, {
    subject: 'Renewal call',
    assigneeId: toGlobalId('User', sam.id),
    dueAt: dueAt.toISOString(),
    targetId: contact,
  });
  const titles = async () => (await inboxOf(server, sam)).notifications.nodes.map((n) => n.title);
  // the assignment notification comes through the outbox
  await until(async () => (await titles()).includes('Ada Admin assigned you a task: Renewal call'));

  await tickUntil(
    clock,
    until(async () => (await titles()).includes('Task due soon: Renewal call')),
  );
  // later runs before the due time add nothing
  await jumpTo(dueAt.getTime() - 2 * MIN);
  for (let i = 0; i < 4; i++) await clock.tick(15_000);
  expect((await titles()).filter((t) => t.startsWith('Task due soon'))).toHaveLength(1);

  await tickUntil(
    clock,
    until(async () => (await titles()).includes('Task overdue: Renewal call')),
  );
  await jumpTo(clock.now() + HOUR);
  for (let i = 0; i < 4; i++) await clock.tick(15_000);
  const all = await titles();
  expect(all.filter((t) => t === 'Task overdue: Renewal call')).toHaveLength(1);
  expect(all.filter((t) => t === 'Task due soon: Renewal call')).toHaveLength(1);
  const [overdue] = (await inboxOf(server, sam)).notifications.nodes.filter((n) => n.type === 'task.overdue');
  expect(overdue).toMatchObject({ recordType: 'Activity', recordId: taskId });
}, 150_000);

test('a disabled webhook endpoint notifies the workspace’s admins, in the inbox and by email (the type’s default)', async () => {
  const ws: TestWorkspace = await server.newWorkspace();
  const admin = await ws.addMember('Second Admin', MembershipRole.ADMIN);
  const sales = await ws.addMember('Not Admin');
  const endpoint = await makeEndpoint(ws, { url: 'http://127.0.0.1:9/hook', eventTypes: ['contact.created'] });
  await server.orm.em
    .getConnection()
    .execute(`update webhook_endpoint set failing_since = ? where id = ?`, [
      new Date(Date.now() - 10 * 24 * HOUR).toISOString(),
      endpoint.rawId,
    ]);
  const disabled = await disableFailingWebhookEndpoints(server.appOrm, new Date(), 5);
  expect(disabled.map((d) => d.id)).toContain(endpoint.rawId);

  await until(
    async () => (await inboxOf(server, admin)).notifications.totalCount > 0 && (await inboxOf(server, ws)).notifications.totalCount > 0,
  );
  const [note] = (await inboxOf(server, admin)).notifications.nodes;
  expect(note).toMatchObject({ type: 'webhook.endpointDisabled', title: 'Webhook endpoint http://127.0.0.1:9/hook was disabled' });
  expect((await inboxOf(server, sales)).notifications.totalCount).toBe(0);
  await tickUntil(
    clock,
    until(async () => sink.to(admin.email).length > 0 && sink.to(ws.userEmail).length > 0),
  );
  expect(subjectOf(sink.to(admin.email)[0]!.raw)).toBe('Webhook endpoint http://127.0.0.1:9/hook was disabled');
  expect(sink.to(sales.email)).toHaveLength(0);
}, 150_000);

test('stale contacts: off by default; with staleContactDays the owner is notified once per quiet stretch', async () => {
  const ws = await server.newWorkspace();
  const sam = await ws.addMember('Sam Owner');
  const SETTINGS = `mutation($d: Int) { updateNotificationWorkspaceSettings(staleContactDays: $d) { settings { staleContactDays } userErrors { field message code } } }`;
  const refused = await ws.ok(SETTINGS, { d: 0 });
  expect(refused.updateNotificationWorkspaceSettings).toEqual({
    settings: null,
    userErrors: [
      { field: ['staleContactDays'], message: 'must be a whole number of days from 1 to 3650, or null (off)', code: 'BAD_USER_INPUT' },
    ],
  });
  expect(await server.count('notification_workspace_setting', ws.id)).toBe(0);
  // a member without workspace:update may not change it
  const denied = await server.gql(SETTINGS, { d: 30 }, sam.headers);
  expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

  const quiet = await createContact(ws, 'Quiet', toGlobalId('User', sam.id));
  const recent = await createContact(ws, 'Recent', toGlobalId('User', sam.id));
  const owner = server.orm.em.getConnection();
  await owner.execute(`update contact set created_at = created_at - interval '40 days' where workspace_id = ?`, [ws.id]);
  // Recent had a call ten days ago
  await logTask(server, ws.headers, { subject: 'Call Recent', targetId: recent });
  await owner.execute(`update timeline_link set occurred_at = now() - interval '10 days' where workspace_id = ?`, [ws.id]);

  const staleTitles = async () =>
    (await inboxOf(server, sam)).notifications.nodes.filter((n) => n.type === 'contact.stale').map((n) => n.title);
  // the daily run (06:30 UTC) with the setting off: nothing
  const nextRun = (after: number) => {
    const at = new Date(after + 24 * HOUR);
    at.setUTCHours(6, 20, 0, 0);
    return at.getTime();
  };
  const runsBefore = await staleRuns();
  await jumpTo(nextRun(clock.now()));
  await tickUntil(
    clock,
    until(async () => (await staleRuns()) > runsBefore),
  );
  expect(await staleTitles()).toEqual([]);

  expect((await ws.ok(SETTINGS, { d: 30 })).updateNotificationWorkspaceSettings).toEqual({
    settings: { staleContactDays: 30 },
    userErrors: [],
  });
  expect((await ws.ok(`{ notificationWorkspaceSettings { staleContactDays } }`)).notificationWorkspaceSettings.staleContactDays).toBe(30);
  await jumpTo(nextRun(clock.now()));
  await tickUntil(
    clock,
    until(async () => (await staleTitles()).length > 0),
  );
  expect(await staleTitles()).toEqual(['Quiet Notified was not contacted for 30 days']);
  const [note] = (await inboxOf(server, sam)).notifications.nodes.filter((n) => n.type === 'contact.stale');
  expect(note).toMatchObject({ recordType: 'Contact', recordId: quiet });

  // the next day's run: still quiet, already notified
  const runsNow = await staleRuns();
  await jumpTo(nextRun(clock.now()));
  await tickUntil(
    clock,
    until(async () => (await staleRuns()) > runsNow),
  );
  expect(await staleTitles()).toHaveLength(1);
}, 150_000);

/** Completed runs of the stale-contacts job so far. */
async function staleRuns(): Promise<number> {
  const jobs = await server.queue!.boss.findJobs('kernel/notification-stale-contacts');
  return jobs.filter((j) => j.state === 'completed').length;
}
