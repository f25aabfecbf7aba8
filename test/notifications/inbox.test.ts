import type { SqlEntityManager } from '@mikro-orm/sql';
import { OutboxWorker } from '../../src/events/outbox-worker.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { notify } from '../../src/core/notifications/notifications.service.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { createContact, inboxOf, logTask, until, type Member } from './helpers.js';

/**
 * The inbox end to end: writes through GraphQL → the outbox → the kernel's notification subscriber → the recipient's
 * inbox, read and marked through GraphQL as that recipient.
 */
let server: TestServer;
let outbox: OutboxWorker;

beforeAll(async () => {
  server = await startTestServer();
  outbox = new OutboxWorker({ orm: server.appOrm, pollMs: 20, backoffBaseMs: 20, leaseMarginMs: 1000 }).start();
}, 60_000);
afterAll(async () => {
  await outbox?.stop(1000);
  await server?.close();
});

const userId = (m: { id: string } | TestWorkspace) => toGlobalId('User', 'userId' in m ? m.userId : m.id);

async function commentOn(server: TestServer, headers: Record<string, string>, activityId: string, body: string, mentioned: string[]) {
  const res = await server.gql(
    `mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } userErrors { field message } } }`,
    { i: { activityId, body, mentionedUserIds: mentioned } },
    headers,
  );
  expect(res.errors).toBeUndefined();
  expect(res.data.addComment.userErrors).toEqual([]);
  return res.data.addComment.comment.id as string;
}

describe('mentions and tasks', () => {
  let ws: TestWorkspace;
  let bea: Member;
  let cid: Member;
  let taskId: string;

  beforeAll(async () => {
    ws = await server.newWorkspace();
    bea = await ws.addMember('Bea Sales');
    cid = await ws.addMember('Cid Sales');
    const contact = await createContact(ws);
    taskId = await logTask(server, ws.headers, { subject: 'Call Ada', targetId: contact });
  });

  test('a mention in a comment reaches the mentioned member’s inbox, not the author’s nor a bystander’s', async () => {
    // the author mentions Bea and themselves: only Bea is notified
    await commentOn(server, ws.headers, taskId, `Over to you @[Bea](${userId(bea)})`, [userId(ws)]);
    await until(async () => (await inboxOf(server, bea)).notifications.totalCount > 0);
    const inbox = await inboxOf(server, bea);
    expect(inbox.unreadNotificationCount).toBe(1);
    expect(inbox.notifications.nodes).toEqual([
      expect.objectContaining({
        type: 'comment.mentioned',
        title: 'Ada Admin mentioned you in a comment on "Call Ada"',
        recordType: 'Activity',
        recordId: taskId,
        actorId: userId(ws),
        readAt: null,
      }),
    ]);
    expect((await inboxOf(server, ws)).notifications.totalCount).toBe(0);
    expect((await inboxOf(server, cid)).notifications.totalCount).toBe(0);
  });

  test('assigning a task notifies the assignee (not someone assigning it to themselves)', async () => {
    const contact = await createContact(ws, 'Bob', userId(cid));
    await logTask(server, ws.headers, { subject: 'Send the quote', assigneeId: userId(cid), targetId: contact });
    await logTask(server, cid.headers, { subject: 'Note to self', assigneeId: userId(cid), targetId: contact });
    await until(async () => (await inboxOf(server, cid)).notifications.totalCount > 0);
    // the own assignment was delivered too by the time a later event is: wait for the reassignment below
    const { activity } = await ws.ok(`query($id: ID!) { activity(id: $id) { version } }`, { id: taskId });
    const reassigned = await server.gql(
      `mutation($i: UpdateActivityInput!) { updateActivity(input: $i) { userErrors { message } } }`,
      { i: { id: taskId, version: activity.version, assigneeId: userId(cid) } },
      ws.headers,
    );
    expect(reassigned.errors).toBeUndefined();
    expect(reassigned.data.updateActivity.userErrors).toEqual([]);
    await until(async () => (await inboxOf(server, cid)).notifications.totalCount >= 2);
    await until(async () => (await server.count('outbox_delivery', ws.id)) === (await deliveredIn(ws.id)));
    const titles = (await inboxOf(server, cid)).notifications.nodes.map((n) => n.title).sort();
    expect(titles).toEqual(['Ada Admin assigned you a task: Call Ada', 'Ada Admin assigned you a task: Send the quote']);
  });

  test('read state: one, all; another member cannot mark mine (NOT_FOUND)', async () => {
    const [mine] = (await inboxOf(server, cid)).notifications.nodes;
    const MARK = `mutation($id: ID!) { markNotificationRead(id: $id) { notification { id readAt } userErrors { field message code } } }`;
    const foreign = await server.gql(MARK, { id: mine!.id }, bea.headers);
    expect(foreign.data.markNotificationRead).toEqual({
      notification: null,
      userErrors: [{ field: ['id'], message: 'notification not found', code: 'NOT_FOUND' }],
    });
    expect((await inboxOf(server, cid)).unreadNotificationCount).toBe(2);

    const marked = await server.gql(MARK, { id: mine!.id }, cid.headers);
    expect(marked.data.markNotificationRead.notification.readAt).toEqual(expect.any(String));
    expect((await inboxOf(server, cid)).unreadNotificationCount).toBe(1);
    expect((await inboxOf(server, cid, true)).notifications.totalCount).toBe(1);

    const all = await server.gql(`mutation { markAllNotificationsRead { count userErrors { message } } }`, {}, cid.headers);
    expect(all.data.markAllNotificationsRead).toEqual({ count: 1, userErrors: [] });
    expect((await inboxOf(server, cid)).unreadNotificationCount).toBe(0);
    // Bea's stays unread
    expect((await inboxOf(server, bea)).unreadNotificationCount).toBe(1);
  });
});

test('an edit that adds a mention notifies the newly mentioned only, once per comment', async () => {
  const ws = await server.newWorkspace();
  const bea = await ws.addMember('Bea Sales');
  const cid = await ws.addMember('Cid Sales');
  const task = await logTask(server, ws.headers, { subject: 'Plan', targetId: await createContact(ws) });
  const commentId = await commentOn(server, ws.headers, task, `Hi @[Bea](${userId(bea)})`, []);
  await until(async () => (await inboxOf(server, bea)).notifications.totalCount === 1);
  const EDIT = `mutation($id: ID!, $body: String!) { editComment(id: $id, body: $body) { userErrors { message } } }`;
  const edited = await ws.ok(EDIT, { id: commentId, body: `Hi @[Bea](${userId(bea)}) and @[Cid](${userId(cid)})` });
  expect(edited.editComment.userErrors).toEqual([]);
  await until(async () => (await inboxOf(server, cid)).notifications.totalCount === 1);
  await until(async () => (await server.count('outbox_delivery', ws.id)) === (await deliveredIn(ws.id)));
  expect((await inboxOf(server, bea)).notifications.totalCount).toBe(1);
  expect((await inboxOf(server, cid)).notifications.nodes[0]).toMatchObject({ type: 'comment.mentioned', recordId: task });
});

async function deliveredIn(workspaceId: string): Promise<number> {
  const rows = await server.orm.em
    .getConnection()
    .execute<{ n: number }[]>(`select count(*)::int as n from outbox_delivery where workspace_id = ? and status = 'delivered'`, [
      workspaceId,
    ]);
  return Number(rows[0]!.n);
}

describe('preferences', () => {
  const PREFS = `{ notificationPreferences { timeZone digestHour preferences { type channel enabled isDefault } } }`;
  const UPDATE = `mutation($i: [NotificationPreferenceInput!]!, $tz: String, $h: Int) {
    updateNotificationPreferences(input: $i, timeZone: $tz, digestHour: $h) {
      preferences { timeZone digestHour preferences { type channel enabled isDefault } }
      userErrors { field message code }
    }
  }`;

  test('every type × channel with its default; bad input is refused with typed errors and writes nothing', async () => {
    const ws = await server.newWorkspace();
    const prefs = (await ws.ok(PREFS)).notificationPreferences;
    expect(prefs).toMatchObject({ timeZone: 'UTC', digestHour: 8 });
    expect(prefs.preferences).toEqual(
      expect.arrayContaining([
        { type: 'comment.mentioned', channel: 'IN_APP', enabled: true, isDefault: true },
        { type: 'comment.mentioned', channel: 'EMAIL', enabled: false, isDefault: true },
        { type: 'webhook.endpointDisabled', channel: 'EMAIL', enabled: true, isDefault: true },
        { type: 'automation.notify', channel: 'DIGEST', enabled: false, isDefault: true },
      ]),
    );

    const bad = await ws.gql(UPDATE, {
      i: [
        { type: 'comment.mentioned', channel: 'EMAIL', enabled: true },
        { type: 'no.suchType', channel: 'IN_APP', enabled: false },
      ],
      tz: 'Mars/Olympus_Mons',
      h: 24,
    });
    expect(bad.errors).toBeUndefined();
    expect(bad.data.updateNotificationPreferences.preferences).toBeNull();
    expect(bad.data.updateNotificationPreferences.userErrors).toEqual([
      { field: ['input', '1', 'type'], message: 'unknown notification type "no.suchType"', code: 'BAD_USER_INPUT' },
      { field: ['timeZone'], message: '"Mars/Olympus_Mons" is not an IANA time zone', code: 'BAD_USER_INPUT' },
      { field: ['digestHour'], message: 'must be an hour from 0 to 23', code: 'BAD_USER_INPUT' },
    ]);
    expect(await server.count('notification_preference', ws.id)).toBe(0);
    expect(await server.count('notification_user_setting', ws.id)).toBe(0);

    const good = await ws.ok(UPDATE, { i: [{ type: 'comment.mentioned', channel: 'EMAIL', enabled: true }], tz: 'Europe/Berlin', h: 7 });
    expect(good.updateNotificationPreferences.userErrors).toEqual([]);
    expect(good.updateNotificationPreferences.preferences).toMatchObject({ timeZone: 'Europe/Berlin', digestHour: 7 });
    expect(good.updateNotificationPreferences.preferences.preferences).toContainEqual({
      type: 'comment.mentioned',
      channel: 'EMAIL',
      enabled: true,
      isDefault: false,
    });
    // only the hour changes: the time zone stays
    const hourOnly = await ws.ok(UPDATE, { i: [], h: 9 });
    expect(hourOnly.updateNotificationPreferences.preferences).toMatchObject({ timeZone: 'Europe/Berlin', digestHour: 9 });
  });

  test('a member who turned the in-app channel off gets no inbox row', async () => {
    const ws = await server.newWorkspace();
    const quiet = await ws.addMember('Quiet Sales');
    const loud = await ws.addMember('Loud Sales');
    const off = await server.gql(UPDATE, { i: [{ type: 'automation.notify', channel: 'IN_APP', enabled: false }] }, quiet.headers);
    expect(off.data.updateNotificationPreferences.userErrors).toEqual([]);
    const created = await withWorkspace(server.appOrm, ws.id, (em) =>
      em.transactional((tx) =>
        notify(tx as SqlEntityManager, {
          workspaceId: ws.id,
          userIds: [quiet.id, loud.id],
          type: 'automation.notify',
          title: 'Rule fired',
        }),
      ),
    );
    expect(created).toBe(1);
    expect((await inboxOf(server, quiet)).notifications.totalCount).toBe(0);
    expect((await inboxOf(server, loud)).notifications.nodes.map((n) => n.title)).toEqual(['Rule fired']);
  });
});

describe('notify', () => {
  test('fans out to many members in one statement, skips non-members and the actor, and is idempotent by source', async () => {
    const ws = await server.newWorkspace();
    const other = await server.newWorkspace();
    const members: string[] = [];
    for (let i = 0; i < 40; i++) members.push((await ws.addMember(`Member ${i}`)).id);
    const statementsFor = async (userIds: string[], sourceEventId: string) => {
      const statements: string[] = [];
      server.orm.config.set('onQuery', (sql: string) => {
        statements.push(sql);
        return sql;
      });
      try {
        const created = await withWorkspace(server.appOrm, ws.id, (em) =>
          em.transactional((tx) =>
            notify(tx as SqlEntityManager, {
              workspaceId: ws.id,
              userIds,
              type: 'automation.notify',
              title: 'Heads up',
              actorId: ws.userId,
              sourceEventId,
            }),
          ),
        );
        // the outbox worker polls meanwhile on the same ORM: keep the writes of this call (the fan-out and its event)
        return {
          created,
          statements: statements.filter((s) => /^\s*insert into "?(notification|outbox_event|outbox_delivery)"?\s/i.test(s)),
        };
      } finally {
        server.orm.config.set('onQuery', (sql: string) => sql);
      }
    };
    const few = await statementsFor(members.slice(0, 3), 'rule-1');
    const many = await statementsFor([...members, ws.userId, other.userId], 'rule-2');
    expect(few.created).toBe(3);
    // every member but the actor; the other workspace's user is not a member here
    expect(many.created).toBe(40);
    expect(many.statements.length).toBe(few.statements.length);
    expect(few.statements.length).toBeLessThanOrEqual(3);
    expect(many.statements.filter((s) => /insert into notification\b/i.test(s))).toHaveLength(1);
    expect(await server.count('notification', ws.id)).toBe(43);
    expect(await server.count('notification', other.id)).toBe(0);

    const again = await statementsFor(members, 'rule-2');
    expect(again.created).toBe(0);
    expect(await server.count('notification', ws.id)).toBe(43);
  }, 60_000);
});
