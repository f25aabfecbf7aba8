import { allow, and } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires, signedIn, signedInUser } from '../../graphql/shield/rules.js';

/** Every signed-in member reads and manages their own notifications (the queries filter by the caller); no permission needed. */
const member = and(signedIn as never, signedInUser as never);

export const notificationRules: RuleDeclarations = {
  Query: {
    notifications: member,
    unreadNotificationCount: member,
    notificationPreferences: member,
    notificationWorkspaceSettings: signedIn,
  },
  Mutation: {
    markNotificationRead: member,
    markAllNotificationsRead: member,
    updateNotificationPreferences: member,
    updateNotificationWorkspaceSettings: requires('workspace:update'),
  },
  Subscription: {
    notificationAdded: member,
  },
  types: {
    Notification: { '*': allow },
    NotificationConnection: { '*': allow },
    NotificationEdge: { '*': allow },
    NotificationPreference: { '*': allow },
    NotificationPreferences: { '*': allow },
    NotificationPayload: { '*': allow },
    MarkAllNotificationsReadPayload: { '*': allow },
    NotificationPreferencesPayload: { '*': allow },
    NotificationWorkspaceSettings: { '*': allow },
    NotificationWorkspaceSettingsPayload: { '*': allow },
  },
};
