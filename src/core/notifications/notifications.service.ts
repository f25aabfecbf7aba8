import type { SqlEntityManager } from '@mikro-orm/sql';
import { emitEvent } from '../../events/emit.js';
import { notificationCreated } from '../../events/kernel-events.js';
import { Sql, sql } from '../../db/sql.js';
import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { CHANNELS, notificationType, type NotificationChannel } from './notification-types.js';

/** At most this many recipients per call (a workspace's members; larger fan-outs are split by the caller). */
export const MAX_RECIPIENTS = 5000;

export interface NotifyInput {
  workspaceId: string;
  /** Raw user ids; those who are not members of the workspace are skipped. */
  userIds: readonly string[];
  /** A declared notification type key. */
  type: string;
  title: string;
  body?: string | null;
  /** What it is about: a GraphQL type name and the record's raw id. */
  record?: { type: string; id: string } | null;
  /** Who caused it; never notified about their own action. */
  actorId?: string | null;
  data?: Record<string, unknown>;
  /** What produced it (an event id, a job's key): a second call with the same key notifies nobody twice. */
  sourceEventId?: string | null;
}

/** A notification that wants an email now (handed to the scheduler in the creating transaction). */
export interface QueuedNotificationEmail {
  id: string;
  workspaceId: string;
}

export type NotificationEmailScheduler = (em: SqlEntityManager, emails: QueuedNotificationEmail[]) => Promise<void>;

const SCHEDULER_SLOT = new AppSlot<{ schedule: NotificationEmailScheduler | null }>('notification email scheduler');

/** Sets (null: removes) what `notify` calls, in its transaction, for the notifications to email now (the job queue). */
export function setNotificationEmailScheduler(orm: AppScoped, schedule: NotificationEmailScheduler | null): void {
  const holder = lookupInApp(orm, SCHEDULER_SLOT);
  if (holder) holder.schedule = schedule;
  else attachToApp(orm, SCHEDULER_SLOT, { schedule });
}

const text = (value: string | null | undefined, max: number) => (value == null ? null : value.slice(0, max));

/**
 * Notifies members of a workspace, in `em`'s transaction, in ONE statement whatever the number of recipients
 * (an INSERT … SELECT over `membership` joined with each recipient's preferences for the type):
 *
 * - users who are not members of `workspaceId`, and the actor, are skipped;
 * - each channel is the user's preference for (type, channel), else the type's default;
 * - a user with every channel off gets no row; a row with `in_app` off is kept (for its email or digest) but not shown
 *   in the inbox;
 * - with `sourceEventId`, a user already notified of this type from this source gets nothing (idempotent redelivery).
 *
 * Then, when anyone was notified: one `notification.created` event (for `Subscription.notificationAdded`) and the
 * email-now rows handed to the email scheduler. Returns the number of notifications created.
 */
export async function notify(em: SqlEntityManager, input: NotifyInput): Promise<number> {
  const type = notificationType(em, input.type);
  if (!type)
    throw new Error(`notify: notification type "${input.type}" is not declared (by the kernel or an installed plugin's notificationTypes)`);
  const userIds = [...new Set(input.userIds)].filter((id) => id !== input.actorId);
  if (!userIds.length) return 0;
  if (userIds.length > MAX_RECIPIENTS) throw new Error(`notify: at most ${MAX_RECIPIENTS} recipients per call`);
  const channel = (c: NotificationChannel) =>
    sql`coalesce((select p.enabled from notification_preference p where p.workspace_id = m.workspace_id and p.user_id = m.user_id and p.type = ${type.key} and p.channel = ${c}), ${type.defaults[c]})`;
  const [inApp, email, digest] = CHANNELS.map(channel) as [Sql, Sql, Sql];
  const statement = sql`insert into notification (id, workspace_id, user_id, type, title, body, record_type, record_id, actor_id, data, source_event_id, in_app, email, digest, created_at)
    select gen_random_uuid(), m.workspace_id, m.user_id, ${type.key}, ${text(input.title, 500) ?? ''}, ${text(input.body, 10_000)},
      ${input.record?.type ?? null}, ${input.record?.id ?? null}, ${input.actorId ?? null}, cast(${JSON.stringify(input.data ?? {})} as jsonb),
      ${input.sourceEventId ?? null}, c.in_app, c.email, c.digest, clock_timestamp()
    from membership m
    cross join lateral (select ${inApp} as in_app, ${email} as email, ${digest} as digest) c
    where m.workspace_id = ${input.workspaceId} and m.user_id in (${Sql.join(
      userIds.map((id) => sql`${id}`),
      ', ',
    )}) and (c.in_app or c.email or c.digest)
    on conflict (user_id, type, source_event_id) do nothing
    returning id, user_id, email`;
  const rows = await em.execute<{ id: string; user_id: string; email: boolean }[]>(statement.text, statement.params);
  if (!rows.length) return 0;
  await emitEvent(
    em,
    notificationCreated,
    { type: type.key, recipients: rows.map((r) => ({ id: String(r.id), userId: String(r.user_id) })) },
    { workspaceId: input.workspaceId },
  );
  const emails = rows.filter((r) => r.email === true || String(r.email) === 'true');
  const schedule = lookupInApp(em, SCHEDULER_SLOT)?.schedule;
  if (schedule && emails.length)
    await schedule(
      em,
      emails.map((r) => ({ id: String(r.id), workspaceId: input.workspaceId })),
    );
  return rows.length;
}

/** Members of the workspace holding a built-in administrative role (Owner, Admin). */
export async function workspaceAdminIds(em: SqlEntityManager, workspaceId: string): Promise<string[]> {
  const rows = await em.execute<{ user_id: string }[]>(
    `select user_id from membership where workspace_id = ? and role in ('OWNER', 'ADMIN') order by user_id`,
    [workspaceId],
  );
  return rows.map((r) => String(r.user_id));
}
