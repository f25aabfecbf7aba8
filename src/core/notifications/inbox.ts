import type { SqlEntityManager } from '@mikro-orm/sql';
import { Sql, sql } from '../../db/sql.js';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { pageRequest, type ConnectionArgs } from '../../graphql/relay.js';
import { CHANNELS, notificationType, notificationTypes, type NotificationChannel } from './notification-types.js';
import { NotificationChannelEnum, NotificationNode, NotificationPreferencesNode } from './notifications.types.js';
import { dateValue, jsonValue } from '../../db/column-values.js';

/** The caller's own inbox: everything here filters by workspace AND user (row-level security only isolates workspaces). */

export const NOTIFICATION = 'Notification';
export const DEFAULT_TIME_ZONE = 'UTC';
export const DEFAULT_DIGEST_HOUR = 8;

const json = (v: unknown) => jsonValue<Record<string, unknown> | null>(v) ?? {};

export const NOTIFICATION_COLUMNS =
  'n.id, n.type, n.title, n.body, n.record_type, n.record_id, n.actor_id, n.data, n.read_at, n.created_at';

export function toNotificationNode(row: Record<string, unknown>): NotificationNode {
  const recordType = (row.record_type as string | null) ?? null;
  return Object.assign(new NotificationNode(), {
    rawId: String(row.id),
    id: toGlobalId(NOTIFICATION, String(row.id)),
    type: String(row.type),
    title: String(row.title),
    body: (row.body as string | null) ?? null,
    recordType,
    recordId: recordType && row.record_id ? toGlobalId(recordType, String(row.record_id)) : null,
    actorId: row.actor_id ? toGlobalId('User', String(row.actor_id)) : null,
    data: json(row.data),
    readAt: row.read_at == null ? null : dateValue(row.read_at),
    createdAt: dateValue(row.created_at),
  });
}

const inbox = (workspaceId: string, userId: string) => sql`n.workspace_id = ${workspaceId} and n.user_id = ${userId} and n.in_app`;

/** The user's in-app notifications, newest first. */
export function inboxPage(em: SqlEntityManager, workspaceId: string, userId: string, args: ConnectionArgs, unreadOnly: boolean) {
  const where = unreadOnly ? sql`${inbox(workspaceId, userId)} and n.read_at is null` : inbox(workspaceId, userId);
  return keysetPage(
    em,
    {
      from: 'notification n',
      select: NOTIFICATION_COLUMNS,
      where,
      orderBy: [{ expr: 'n.created_at', direction: 'DESC', nullable: false }],
      idExpr: 'n.id',
    },
    pageRequest(args),
    toNotificationNode,
  );
}

export async function unreadCount(em: SqlEntityManager, workspaceId: string, userId: string): Promise<number> {
  const q = sql`select count(*)::int as n from notification n where ${inbox(workspaceId, userId)} and n.read_at is null`;
  const [row] = await em.execute<{ n: number }[]>(q.text, q.params);
  return Number(row?.n ?? 0);
}

/** Notifications of the user by id (in-app ones), in the order of `ids`; missing or foreign ones are left out. */
export async function notificationsByIds(
  em: SqlEntityManager,
  workspaceId: string,
  userId: string,
  ids: string[],
): Promise<NotificationNode[]> {
  if (!ids.length) return [];
  const q = sql`select ${new Sql(NOTIFICATION_COLUMNS)} from notification n where ${inbox(workspaceId, userId)} and n.id in (${Sql.join(
    ids.map((id) => sql`${id}`),
    ', ',
  )})`;
  const rows = await em.execute<Record<string, unknown>[]>(q.text, q.params);
  const byId = new Map(rows.map((r) => [String(r.id), toNotificationNode(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Marks one of the user's notifications read (kept as first read); another user's or an unknown one is NOT_FOUND. */
export async function markRead(
  em: SqlEntityManager,
  workspaceId: string,
  userId: string,
  id: string,
  now: Date,
): Promise<NotificationNode> {
  const q = sql`update notification n set read_at = coalesce(n.read_at, ${now.toISOString()})
    where n.id = ${id} and ${inbox(workspaceId, userId)} returning ${new Sql(NOTIFICATION_COLUMNS)}`;
  const [row] = await em.execute<Record<string, unknown>[]>(q.text, q.params);
  if (!row) throw InputRejected.one('id', 'notification not found', ErrorCode.NOT_FOUND);
  return toNotificationNode(row);
}

export async function markAllRead(em: SqlEntityManager, workspaceId: string, userId: string, now: Date): Promise<number> {
  const q = sql`update notification n set read_at = ${now.toISOString()} where ${inbox(workspaceId, userId)} and n.read_at is null returning n.id`;
  return (await em.execute<{ id: string }[]>(q.text, q.params)).length;
}

// ---------------------------------------------------------------------------------------------------------------
// preferences

export interface DigestSettings {
  timeZone: string;
  digestHour: number;
}

export async function digestSettings(em: SqlEntityManager, workspaceId: string, userId: string): Promise<DigestSettings> {
  const [row] = await em.execute<{ time_zone: string; digest_hour: number }[]>(
    `select time_zone, digest_hour from notification_user_setting where workspace_id = ? and user_id = ?`,
    [workspaceId, userId],
  );
  return { timeZone: row?.time_zone ?? DEFAULT_TIME_ZONE, digestHour: row ? Number(row.digest_hour) : DEFAULT_DIGEST_HOUR };
}

export async function preferencesOf(em: SqlEntityManager, workspaceId: string, userId: string): Promise<NotificationPreferencesNode> {
  const rows = await em.execute<{ type: string; channel: string; enabled: boolean }[]>(
    `select type, channel, enabled from notification_preference where workspace_id = ? and user_id = ?`,
    [workspaceId, userId],
  );
  const chosen = new Map(rows.map((r) => [`${r.type}|${r.channel}`, Boolean(r.enabled)]));
  const preferences = notificationTypes(em).flatMap((type) =>
    CHANNELS.map((channel) => {
      const choice = chosen.get(`${type.key}|${channel}`);
      return {
        type: type.key,
        label: type.label,
        channel: channel as NotificationChannelEnum,
        enabled: choice ?? type.defaults[channel],
        isDefault: choice === undefined,
      };
    }),
  );
  return Object.assign(new NotificationPreferencesNode(), { preferences, ...(await digestSettings(em, workspaceId, userId)) });
}

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface PreferenceChange {
  type: string;
  channel: string;
  enabled: boolean;
}

/**
 * Sets preferences and digest settings of the user. Every entry is checked first (unknown type or channel, a time
 * zone Intl does not know, an hour outside 0–23): on any error nothing is written.
 */
export async function updatePreferences(
  em: SqlEntityManager,
  workspaceId: string,
  userId: string,
  changes: PreferenceChange[],
  settings: { timeZone?: string | null; digestHour?: number | null },
): Promise<void> {
  const errors: UserError[] = [];
  if (changes.length > 500) errors.push(userError('input', 'at most 500 preferences at once'));
  changes.forEach((change, i) => {
    if (!notificationType(em, change.type))
      errors.push(userError(['input', String(i), 'type'], `unknown notification type "${change.type}"`));
    if (!CHANNELS.includes(change.channel as NotificationChannel))
      errors.push(userError(['input', String(i), 'channel'], `unknown channel "${change.channel}"`));
  });
  if (settings.timeZone != null && !isTimeZone(settings.timeZone))
    errors.push(userError('timeZone', `"${settings.timeZone.slice(0, 80)}" is not an IANA time zone`));
  if (settings.digestHour != null && (!Number.isInteger(settings.digestHour) || settings.digestHour < 0 || settings.digestHour > 23))
    errors.push(userError('digestHour', 'must be an hour from 0 to 23'));
  if (errors.length) throw new InputRejected(errors);

  // the last entry for a (type, channel) wins
  const unique = new Map(changes.map((c) => [`${c.type}|${c.channel}`, c]));
  if (unique.size) {
    const values = [...unique.values()].map(
      (c) =>
        sql`(gen_random_uuid(), ${workspaceId}, ${userId}, ${c.type}, ${c.channel}, ${c.enabled}, clock_timestamp(), clock_timestamp())`,
    );
    const q = sql`insert into notification_preference (id, workspace_id, user_id, type, channel, enabled, created_at, updated_at)
      values ${Sql.join(values, ', ')}
      on conflict (workspace_id, user_id, type, channel) do update set enabled = excluded.enabled, updated_at = excluded.updated_at`;
    await em.execute(q.text, q.params);
  }
  if (settings.timeZone != null || settings.digestHour != null) {
    const q = sql`insert into notification_user_setting (id, workspace_id, user_id, time_zone, digest_hour, created_at, updated_at)
      values (gen_random_uuid(), ${workspaceId}, ${userId}, ${settings.timeZone ?? DEFAULT_TIME_ZONE}, ${settings.digestHour ?? DEFAULT_DIGEST_HOUR}, clock_timestamp(), clock_timestamp())
      on conflict (workspace_id, user_id) do update set
        time_zone = ${settings.timeZone != null ? sql`excluded.time_zone` : sql`notification_user_setting.time_zone`},
        digest_hour = ${settings.digestHour != null ? sql`excluded.digest_hour` : sql`notification_user_setting.digest_hour`},
        updated_at = excluded.updated_at`;
    await em.execute(q.text, q.params);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// workspace settings

export const MAX_STALE_CONTACT_DAYS = 3650;

export async function staleContactDays(em: SqlEntityManager, workspaceId: string): Promise<number | null> {
  const [row] = await em.execute<{ stale_contact_days: number | null }[]>(
    `select stale_contact_days from notification_workspace_setting where workspace_id = ?`,
    [workspaceId],
  );
  return row?.stale_contact_days == null ? null : Number(row.stale_contact_days);
}

export async function setStaleContactDays(em: SqlEntityManager, workspaceId: string, days: number | null): Promise<void> {
  if (days != null && (!Number.isInteger(days) || days < 1 || days > MAX_STALE_CONTACT_DAYS))
    throw InputRejected.one('staleContactDays', `must be a whole number of days from 1 to ${MAX_STALE_CONTACT_DAYS}, or null (off)`);
  await em.execute(
    `insert into notification_workspace_setting (workspace_id, stale_contact_days, updated_at) values (?, ?, clock_timestamp())
     on conflict (workspace_id) do update set stale_contact_days = excluded.stale_contact_days, updated_at = excluded.updated_at`,
    [workspaceId, days],
  );
}
