/**
 * Notification types: a key, a label for the preferences screen and the default channels. The kernel's are below;
 * plugins declare theirs with `defineNotificationType` (the SDK) when their module loads. `notify` refuses a type
 * nobody declared.
 */

export const CHANNELS = ['in_app', 'email', 'digest'] as const;
export type NotificationChannel = (typeof CHANNELS)[number];

export interface NotificationTypeDefinition {
  /** `thing.happened` style, e.g. `deal.rotting`. */
  key: string;
  label: string;
  /** Channels on when the user chose nothing (default: in-app only). */
  defaults?: Partial<Record<NotificationChannel, boolean>>;
  /** Who declared it (`kernel` or a plugin id). */
  declaredBy?: string;
}

export interface NotificationType {
  key: string;
  label: string;
  defaults: Record<NotificationChannel, boolean>;
  declaredBy: string;
}

const KEY = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;
const types = new Map<string, NotificationType>();

/** Declares a notification type (idempotent for the same key and declarer; another declarer of the key throws). */
export function defineNotificationType(definition: NotificationTypeDefinition): NotificationType {
  if (!KEY.test(definition.key) || definition.key.length > 120)
    throw new Error(`defineNotificationType: "${definition.key}" is not of the form thing.happened`);
  const type: NotificationType = {
    key: definition.key,
    label: definition.label,
    defaults: { in_app: true, email: false, digest: false, ...definition.defaults },
    declaredBy: definition.declaredBy ?? 'kernel',
  };
  const existing = types.get(type.key);
  if (existing && existing.declaredBy !== type.declaredBy)
    throw new Error(`defineNotificationType: "${type.key}" is already declared by ${existing.declaredBy}`);
  types.set(type.key, type);
  return type;
}

export function notificationType(key: string): NotificationType | undefined {
  return types.get(key);
}

/** Every declared type, by key. */
export function notificationTypes(): NotificationType[] {
  return [...types.values()].sort((a, b) => a.key.localeCompare(b.key));
}

export const KERNEL_NOTIFICATION_TYPES = {
  commentMentioned: defineNotificationType({ key: 'comment.mentioned', label: 'Mentioned in a comment' }),
  taskAssigned: defineNotificationType({ key: 'task.assigned', label: 'A task was assigned to me' }),
  taskDue: defineNotificationType({ key: 'task.due', label: 'A task of mine is due soon' }),
  taskOverdue: defineNotificationType({ key: 'task.overdue', label: 'A task of mine is overdue' }),
  contactStale: defineNotificationType({ key: 'contact.stale', label: 'A contact of mine was not contacted for a while' }),
  automationNotify: defineNotificationType({ key: 'automation.notify', label: 'An automation rule notified me' }),
  webhookEndpointDisabled: defineNotificationType({
    key: 'webhook.endpointDisabled',
    label: 'A webhook endpoint was disabled (admins)',
    defaults: { in_app: true, email: true },
  }),
} as const;
