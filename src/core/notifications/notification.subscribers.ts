import type { SqlEntityManager } from '@mikro-orm/sql';
import type { DomainEvent, Subscriber } from '../../events/handlers.js';
import type { ActivityFields, CommentPosted, RecordUpdated, WebhookEndpointDisabled } from '../../events/kernel-events.js';
import { KERNEL_NOTIFICATION_TYPES as T } from './notification-types.js';
import { notify, workspaceAdminIds } from './notifications.service.js';

async function userName(em: SqlEntityManager, userId: string | null): Promise<string> {
  if (!userId) return 'Someone';
  const [row] = await em.execute<{ name: string }[]>(`select name from app_user where id = ?`, [userId]);
  return row?.name ?? 'Someone';
}

/** A user id from an event's value of a many-to-one (`assignee`: the id, or `{ id }`). */
function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return null;
}

async function mentioned(em: SqlEntityManager, event: DomainEvent<CommentPosted>): Promise<void> {
  const { id, activityId, authorId, mentionedUserIds } = event.payload;
  if (!mentionedUserIds?.length) return;
  const author = await userName(em, authorId);
  const [activity] = await em.execute<{ subject: string }[]>(`select subject from activity where id = ? and workspace_id = ?`, [
    activityId,
    event.workspaceId,
  ]);
  await notify(em, {
    workspaceId: event.workspaceId,
    userIds: mentionedUserIds,
    type: T.commentMentioned.key,
    title: `${author} mentioned you in a comment${activity ? ` on "${activity.subject}"` : ''}`,
    record: { type: 'Activity', id: activityId },
    actorId: authorId,
    data: { commentId: id },
    // one notification per comment and user, whether the mention came with the comment or with an edit
    sourceEventId: `comment:${id}`,
  });
}

async function taskAssigned(em: SqlEntityManager, event: DomainEvent, taskId: string, assigneeId: string | null): Promise<void> {
  const actorId = event.actor.userId;
  if (!assigneeId || assigneeId === actorId) return;
  const [task] = await em.execute<{ type: string; subject: string; due_at: unknown; deleted_at: unknown }[]>(
    `select type, subject, due_at, deleted_at from activity where id = ? and workspace_id = ?`,
    [taskId, event.workspaceId],
  );
  if (task?.type !== 'TASK' || task.deleted_at != null) return;
  const actor = await userName(em, actorId);
  await notify(em, {
    workspaceId: event.workspaceId,
    userIds: [assigneeId],
    type: T.taskAssigned.key,
    title: actorId ? `${actor} assigned you a task: ${task.subject}` : `A task was assigned to you: ${task.subject}`,
    record: { type: 'Activity', id: taskId },
    actorId,
    data: task.due_at
      ? { dueAt: new Date(String(task.due_at instanceof Date ? task.due_at.toISOString() : task.due_at)).toISOString() }
      : {},
    sourceEventId: event.id,
  });
}

async function endpointDisabled(em: SqlEntityManager, event: DomainEvent<WebhookEndpointDisabled>): Promise<void> {
  const { id, url, reason } = event.payload;
  await notify(em, {
    workspaceId: event.workspaceId,
    userIds: await workspaceAdminIds(em, event.workspaceId),
    type: T.webhookEndpointDisabled.key,
    title: `Webhook endpoint ${url.slice(0, 300)} was disabled`,
    body: reason,
    record: { type: 'WebhookEndpoint', id },
    data: { url },
    sourceEventId: event.id,
  });
}

/**
 * The kernel's notification producers on the outbox (registered in src/app/kernel-graphql.ts): mentions, task
 * assignments and disabled webhook endpoints. Not `idempotent`: `notify` with the event's id as source inserts
 * nothing twice on a redelivery.
 */
export const notificationSubscriber: Subscriber & { plugin: string } = {
  plugin: 'kernel',
  name: 'notifications',
  on: ['comment.created', 'comment.edited', 'activity.logged', 'activity.updated', 'webhook.endpointDisabled'],
  async handle(event, { em }) {
    switch (event.type) {
      case 'comment.created':
      case 'comment.edited':
        return mentioned(em, event as unknown as DomainEvent<CommentPosted>);
      case 'activity.logged': {
        const { id, activity } = event.payload as unknown as ActivityFields;
        if (activity?.type !== 'TASK') return;
        return taskAssigned(em, event, id, idOf(activity.assignee ?? activity.assigneeId));
      }
      case 'activity.updated': {
        const { id, changes } = event.payload as unknown as RecordUpdated;
        const change = changes?.assignee ?? changes?.assigneeId;
        if (!change) return;
        return taskAssigned(em, event, id, idOf(change.after));
      }
      case 'webhook.endpointDisabled':
        return endpointDisabled(em, event as unknown as DomainEvent<WebhookEndpointDisabled>);
    }
  },
};
