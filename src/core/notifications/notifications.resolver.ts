import { Arg, Args, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, graphqlError, InputRejected } from '../../graphql/errors.js';
import { parseGlobalId } from '../../graphql/global-id.js';
import { ConnectionArgs, toConnection } from '../../graphql/relay.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import type { Orm } from '../../db/orm.js';
import { runMutation } from '../shared/mutation.js';
import { workspaceEventStream } from '../subscriptions/event-stream.js';
import type { NotificationsCreated } from '../../events/kernel-events.js';
import {
  inboxPage,
  markAllRead,
  markRead,
  NOTIFICATION,
  notificationsByIds,
  preferencesOf,
  setStaleContactDays,
  staleContactDays,
  unreadCount,
  updatePreferences,
} from './inbox.js';
import {
  MarkAllNotificationsReadPayload,
  NotificationConnection,
  NotificationNode,
  NotificationPayload,
  NotificationPreferenceInput,
  NotificationPreferencesNode,
  NotificationPreferencesPayload,
  NotificationWorkspaceSettingsNode,
  NotificationWorkspaceSettingsPayload,
} from './notifications.types.js';

/** The calling user (an API key has no inbox). */
function callerOf(ctx: RequestContext): { workspaceId: string; userId: string } {
  const workspaceId = workspaceOf(ctx);
  const userId = ctx.principal.userId;
  if (!userId) throw graphqlError(ErrorCode.FORBIDDEN, 'Notifications belong to signed-in users, not to API keys.');
  return { workspaceId, userId };
}

@Resolver(() => NotificationNode)
export class NotificationResolver {
  @Query(() => NotificationConnection, { description: 'The caller’s notifications (in-app), newest first.' })
  async notifications(
    @Args() page: ConnectionArgs,
    @Arg('unreadOnly', () => Boolean, { nullable: true }) unreadOnly: boolean | null,
    @Ctx() ctx: RequestContext,
  ) {
    const { workspaceId, userId } = callerOf(ctx);
    return toConnection(await inboxPage(ctx.em, workspaceId, userId, page, unreadOnly === true));
  }

  @Query(() => Int, { description: 'How many of the caller’s in-app notifications are unread.' })
  unreadNotificationCount(@Ctx() ctx: RequestContext) {
    const { workspaceId, userId } = callerOf(ctx);
    return unreadCount(ctx.em, workspaceId, userId);
  }

  @Query(() => NotificationPreferencesNode, {
    description: 'Every notification type × channel as it applies to the caller, and the digest time.',
  })
  notificationPreferences(@Ctx() ctx: RequestContext) {
    const { workspaceId, userId } = callerOf(ctx);
    return preferencesOf(ctx.em, workspaceId, userId);
  }

  @Query(() => NotificationWorkspaceSettingsNode, { description: 'The workspace’s notification settings.' })
  async notificationWorkspaceSettings(@Ctx() ctx: RequestContext) {
    return Object.assign(new NotificationWorkspaceSettingsNode(), { staleContactDays: await staleContactDays(ctx.em, workspaceOf(ctx)) });
  }

  @Mutation(() => NotificationPayload, { description: 'Marks one of the caller’s notifications read (NOT_FOUND for anyone else’s).' })
  markNotificationRead(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const { workspaceId, userId } = callerOf(ctx);
    return runMutation(ctx, async (tx) => {
      const parsed = parseGlobalId(id);
      if (parsed?.type !== NOTIFICATION) throw InputRejected.one('id', 'notification not found', ErrorCode.NOT_FOUND);
      return { notification: await markRead(tx.em, workspaceId, userId, parsed.id, new Date()) };
    });
  }

  @Mutation(() => MarkAllNotificationsReadPayload, { description: 'Marks every unread notification of the caller read.' })
  markAllNotificationsRead(@Ctx() ctx: RequestContext) {
    const { workspaceId, userId } = callerOf(ctx);
    return runMutation(ctx, async (tx) => ({ count: await markAllRead(tx.em, workspaceId, userId, new Date()) }));
  }

  @Mutation(() => NotificationPreferencesPayload, {
    description:
      'Sets the caller’s preferences (type × channel) and digest time zone / hour. Unknown types or channels, unknown time zones and hours outside 0–23 are user errors; nothing is written then.',
  })
  updateNotificationPreferences(
    @Arg('input', () => [NotificationPreferenceInput]) input: NotificationPreferenceInput[],
    @Arg('timeZone', () => String, { nullable: true }) timeZone: string | null,
    @Arg('digestHour', () => Int, { nullable: true }) digestHour: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    const { workspaceId, userId } = callerOf(ctx);
    return runMutation(ctx, async (tx) => {
      await updatePreferences(tx.em, workspaceId, userId, input, { timeZone, digestHour });
      return { preferences: await preferencesOf(tx.em, workspaceId, userId) };
    });
  }

  @Mutation(() => NotificationWorkspaceSettingsPayload, {
    description: 'Changes the workspace’s notification settings. Needs `workspace:update`.',
  })
  updateNotificationWorkspaceSettings(
    @Arg('staleContactDays', () => Int, { nullable: true }) days: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    const workspaceId = workspaceOf(ctx);
    return runMutation(ctx, async (tx) => {
      await setStaleContactDays(tx.em, workspaceId, days ?? null);
      return { settings: Object.assign(new NotificationWorkspaceSettingsNode(), { staleContactDays: days ?? null }) };
    });
  }

  @Subscription(() => NotificationNode, {
    description: 'The caller’s new in-app notifications, as they are committed (graphql-ws at `/graphql/ws`).',
    subscribe: ({ context }: SubscribeResolverData<unknown, object, RequestContext>) => {
      const { workspaceId, userId } = callerOf(context);
      return notificationStream(context.orm, workspaceId, userId);
    },
  })
  notificationAdded(@Root() notification: NotificationNode): NotificationNode {
    return notification;
  }
}

/** The user's new notifications: `notification.created` events naming them, each loaded from their inbox. */
export function notificationStream(orm: Orm, workspaceId: string, userId: string): AsyncIterableIterator<NotificationNode> {
  const events = workspaceEventStream(orm, workspaceId, (event) => {
    if (event.type !== 'notification.created') return null;
    const recipients = (event.payload as unknown as NotificationsCreated).recipients ?? [];
    return recipients.some((r) => r.userId === userId) ? event : null;
  });
  const pending: NotificationNode[] = [];
  const iterator: AsyncIterableIterator<NotificationNode> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next() {
      while (!pending.length) {
        const next = await events.next();
        if (next.done) return { value: undefined, done: true };
        const ids = ((next.value.payload as unknown as NotificationsCreated).recipients ?? [])
          .filter((r) => r.userId === userId)
          .map((r) => r.id);
        pending.push(...(await withWorkspace(orm, workspaceId, (em) => notificationsByIds(em, workspaceId, userId, ids))));
      }
      return { value: pending.shift()!, done: false };
    },
    async return() {
      await events.return?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}
