import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { DEFAULT_DIGEST_HOUR, DEFAULT_TIME_ZONE } from './inbox.js';
import type { NotificationMailer } from './notification-mail.js';
import { KERNEL_NOTIFICATION_TYPES as T } from './notification-types.js';
import { notify } from './notifications.service.js';

/**
 * The notification work the job queue runs (src/app/notification-jobs.ts). Every function takes the time as `now`
 * and is safe to run twice: source keys (`task:<id>:due:<dueAt>` …) and `emailed_at` / `digested_at` /
 * `last_digest_on` make a rerun a no-op. Cross-workspace work lists the workspaces first (the `workspace` table has
 * no row-level security) and then works in each one's tenant context.
 */

/** A task counts as due soon this long before its due time. */
export const DUE_SOON_MS = 60 * 60 * 1000;
/** Overdue tasks older than this are not notified any more (a first run on an old database stays quiet). */
export const OVERDUE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** At most this many of each kind per workspace and run; the rest wait for the next run. */
export const BATCH = 500;

const iso = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();

async function workspaceIds(orm: Orm): Promise<string[]> {
  const rows = await (orm.em.fork() as SqlEntityManager).execute<{ id: string }[]>(`select id from workspace order by id`);
  return rows.map((r) => String(r.id));
}

interface TaskRow {
  id: string;
  subject: string;
  assignee_id: string;
  due_at: unknown;
}

async function tasksToNotify(
  em: SqlEntityManager,
  workspaceId: string,
  type: string,
  from: Date,
  to: Date,
  key: string,
): Promise<TaskRow[]> {
  return em.execute<TaskRow[]>(
    `select a.id, a.subject, a.assignee_id, a.due_at from activity a
      where a.workspace_id = ? and a.type = 'TASK' and a.deleted_at is null and a.completed_at is null and a.assignee_id is not null
        and a.due_at > ? and a.due_at <= ?
        and not exists (select 1 from notification n where n.user_id = a.assignee_id and n.type = ?
          and n.source_event_id = 'task:' || a.id::text || ':${key}:' || to_char(a.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      order by a.due_at, a.id limit ${BATCH}`,
    [workspaceId, from.toISOString(), to.toISOString(), type],
  );
}

/**
 * Tasks due within the next hour (`task.due`) and tasks that became overdue (`task.overdue`, up to a week back) notify
 * their assignee, once per task and due time (moving the due date notifies again). Returns the notifications created.
 */
export async function notifyDueTasks(orm: Orm, now: Date): Promise<number> {
  let created = 0;
  for (const workspaceId of await workspaceIds(orm)) {
    created += await withWorkspace(orm, workspaceId, async (em) => {
      let n = 0;
      const soon = await tasksToNotify(em, workspaceId, T.taskDue.key, now, new Date(now.getTime() + DUE_SOON_MS), 'due');
      for (const task of soon)
        n += await notify(em, {
          workspaceId,
          userIds: [task.assignee_id],
          type: T.taskDue.key,
          title: `Task due soon: ${task.subject}`,
          record: { type: 'Activity', id: task.id },
          data: { dueAt: iso(task.due_at) },
          sourceEventId: `task:${task.id}:due:${iso(task.due_at)}`,
        });
      const overdue = await tasksToNotify(em, workspaceId, T.taskOverdue.key, new Date(now.getTime() - OVERDUE_WINDOW_MS), now, 'overdue');
      for (const task of overdue)
        n += await notify(em, {
          workspaceId,
          userIds: [task.assignee_id],
          type: T.taskOverdue.key,
          title: `Task overdue: ${task.subject}`,
          record: { type: 'Activity', id: task.id },
          data: { dueAt: iso(task.due_at) },
          sourceEventId: `task:${task.id}:overdue:${iso(task.due_at)}`,
        });
      return n;
    });
  }
  return created;
}

/**
 * In workspaces with `staleContactDays` set: each live contact with an owner and no activity on its timeline for that
 * many days (counted from its creation when it has none) notifies its owner — once per quiet stretch (the source key
 * carries the date of the last contact). Returns the notifications created.
 */
export async function notifyStaleContacts(orm: Orm, now: Date): Promise<number> {
  let created = 0;
  for (const workspaceId of await workspaceIds(orm)) {
    created += await withWorkspace(orm, workspaceId, async (em) => {
      const [setting] = await em.execute<{ stale_contact_days: number | null }[]>(
        `select stale_contact_days from notification_workspace_setting where workspace_id = ?`,
        [workspaceId],
      );
      const days = setting?.stale_contact_days == null ? null : Number(setting.stale_contact_days);
      if (!days) return 0;
      const cutoff = new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
      const stale = await em.execute<{ id: string; owner_id: string; name: string; last_at: unknown }[]>(
        `select c.id, c.owner_id, trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) as name, x.last_at
          from contact c
          cross join lateral (select coalesce((select max(l.occurred_at) from timeline_link l
              where l.workspace_id = c.workspace_id and l.target_type = 'Contact' and l.target_id = c.id and l.entry_kind = 'activity'), c.created_at) as last_at) x
          where c.workspace_id = ? and c.deleted_at is null and c.owner_id is not null and x.last_at <= ?
          order by x.last_at, c.id limit ${BATCH}`,
        [workspaceId, cutoff.toISOString()],
      );
      let n = 0;
      for (const contact of stale)
        n += await notify(em, {
          workspaceId,
          userIds: [contact.owner_id],
          type: T.contactStale.key,
          title: `${contact.name || 'A contact'} was not contacted for ${days} days`,
          record: { type: 'Contact', id: contact.id },
          data: { lastContactedAt: iso(contact.last_at), days },
          sourceEventId: `contact:${contact.id}:stale:${iso(contact.last_at)}`,
        });
      return n;
    });
  }
  return created;
}

/**
 * Sends the email of one notification (the email-now channel), once: `emailed_at` is claimed in the transaction
 * that sends, so a failed send rolls the claim back and the job's retry sends again. False when there is nothing to send.
 */
export async function sendNotificationEmail(
  orm: Orm,
  workspaceId: string,
  notificationId: string,
  mail: NotificationMailer,
  now: Date,
): Promise<boolean> {
  return withWorkspace(orm, workspaceId, async (em) => {
    const [row] = await em.execute<{ title: string; body: string | null; email: string }[]>(
      `update notification n set emailed_at = ? from app_user u
        where n.id = ? and n.workspace_id = ? and n.email and n.emailed_at is null and u.id = n.user_id
        returning n.title, n.body, u.email`,
      [now.toISOString(), notificationId, workspaceId],
    );
    if (!row) return false;
    await mail({ to: row.email, subject: row.title, text: row.body ? `${row.title}\n\n${row.body}` : row.title });
    return true;
  });
}

/** `YYYY-MM-DD` and the hour (0–23) of `now` in `timeZone`. */
export function localDateHour(now: Date, timeZone: string): { date: string; hour: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}

/** Notifications listed in one digest at most (older ones are marked digested with it). */
export const DIGEST_LIMIT = 100;

/**
 * The daily digest, run hourly: every user with undigested digest-channel notifications whose local hour (their time
 * zone) is their digest hour gets one email listing them, and they are marked digested — once per user and local
 * date (`last_digest_on`, claimed in the sending transaction). Returns the digests sent.
 */
export async function sendDigests(orm: Orm, now: Date, mail: NotificationMailer): Promise<number> {
  let sent = 0;
  for (const workspaceId of await workspaceIds(orm)) {
    const candidates = await withWorkspace(orm, workspaceId, (em) =>
      em.execute<{ user_id: string; time_zone: string | null; digest_hour: number | null; last_digest_on: string | null }[]>(
        `select n.user_id, s.time_zone, s.digest_hour, s.last_digest_on from notification n
          left join notification_user_setting s on s.workspace_id = n.workspace_id and s.user_id = n.user_id
          where n.workspace_id = ? and n.digest and n.digested_at is null
          group by n.user_id, s.time_zone, s.digest_hour, s.last_digest_on`,
        [workspaceId],
      ),
    );
    for (const candidate of candidates) {
      const zone = candidate.time_zone ?? DEFAULT_TIME_ZONE;
      const hour = candidate.digest_hour == null ? DEFAULT_DIGEST_HOUR : Number(candidate.digest_hour);
      let local: { date: string; hour: number };
      try {
        local = localDateHour(now, zone);
      } catch {
        local = localDateHour(now, DEFAULT_TIME_ZONE);
      }
      if (local.hour !== hour || candidate.last_digest_on === local.date) continue;
      const userId = String(candidate.user_id);
      const done = await withWorkspace(orm, workspaceId, async (em) => {
        const claimed = await em.execute<{ id: string }[]>(
          `insert into notification_user_setting (id, workspace_id, user_id, time_zone, digest_hour, last_digest_on, created_at, updated_at)
            values (gen_random_uuid(), ?, ?, ?, ?, ?, clock_timestamp(), clock_timestamp())
            on conflict (workspace_id, user_id) do update set last_digest_on = excluded.last_digest_on, updated_at = excluded.updated_at
              where notification_user_setting.last_digest_on is distinct from excluded.last_digest_on
            returning id`,
          [workspaceId, userId, zone, hour, local.date],
        );
        if (!claimed.length) return false;
        const items = await em.execute<{ id: string; title: string; created_at: unknown }[]>(
          `update notification set digested_at = ? where workspace_id = ? and user_id = ? and digest and digested_at is null
            returning id, title, created_at`,
          [now.toISOString(), workspaceId, userId],
        );
        const [user] = await em.execute<{ email: string }[]>(`select email from app_user where id = ?`, [userId]);
        if (!items.length || !user) return false;
        items.sort((a, b) => iso(b.created_at).localeCompare(iso(a.created_at)));
        const lines = items.slice(0, DIGEST_LIMIT).map((item) => `- ${item.title}`);
        if (items.length > DIGEST_LIMIT) lines.push(`… and ${items.length - DIGEST_LIMIT} more`);
        await mail({
          to: user.email,
          subject: `Your daily digest: ${items.length} notification${items.length === 1 ? '' : 's'}`,
          text: `Notifications since your last digest (${local.date}):\n\n${lines.join('\n')}\n`,
        });
        return true;
      });
      if (done) sent++;
    }
  }
  return sent;
}
