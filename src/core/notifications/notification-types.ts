import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';

/**
 * Notification types: a key, a label for the preferences screen and the default channels. The kernel's are below;
 * plugins declare theirs in the manifest (`notificationTypes`), and the app that installs them attaches those to its
 * ORM (`attachNotificationTypes`). `notify` refuses a type nobody declared.
 */

export const CHANNELS = ['in_app', 'email', 'digest'] as const;
export type NotificationChannel = (typeof CHANNELS)[number];

/** A notification type as a plugin's manifest declares it (`notificationTypes`). */
export interface NotificationTypeDeclaration {
  /** `thing.happened` style, e.g. `deal.rotting`. */
  key: string;
  /** Shown in the preferences (`NotificationPreference.label`). */
  label: string;
  /** Channels on when the user chose nothing (default: in-app only). */
  defaults?: Partial<Record<NotificationChannel, boolean>>;
}

export interface NotificationType {
  key: string;
  label: string;
  defaults: Record<NotificationChannel, boolean>;
  declaredBy: string;
}

const KEY = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;

function typeOf(declaration: NotificationTypeDeclaration, declaredBy: string): NotificationType {
  if (!KEY.test(declaration.key) || declaration.key.length > 120)
    throw new Error(`notification type "${declaration.key}" is not of the form thing.happened`);
  return {
    key: declaration.key,
    label: declaration.label,
    defaults: { in_app: true, email: false, digest: false, ...declaration.defaults },
    declaredBy,
  };
}

const kernelTypes = new Map<string, NotificationType>();
const kernelType = (declaration: NotificationTypeDeclaration) => {
  const type = typeOf(declaration, 'kernel');
  kernelTypes.set(type.key, type);
  return type;
};

const PLUGIN_TYPES_SLOT = new AppSlot<Map<string, NotificationType>>('notification types');

/**
 * Makes the plugins' declared types known to the app owning `orm` (the first app on an ORM keeps its own). A key the
 * kernel or another plugin declared already throws.
 */
export function attachNotificationTypes(
  orm: AppScoped,
  declared: { plugin: string; types: readonly NotificationTypeDeclaration[] }[],
): void {
  if (lookupInApp(orm, PLUGIN_TYPES_SLOT)) return;
  const types = new Map<string, NotificationType>();
  for (const { plugin, types: declarations } of declared)
    for (const declaration of declarations) {
      const type = typeOf(declaration, plugin);
      const existing = kernelTypes.get(type.key) ?? types.get(type.key);
      if (existing) throw new Error(`notification type "${type.key}" of ${plugin} is already declared by ${existing.declaredBy}`);
      types.set(type.key, type);
    }
  attachToApp(orm, PLUGIN_TYPES_SLOT, types);
}

/** The type with this key in the app owning `holder` (an ORM or entity manager): the kernel's or an installed plugin's. */
export function notificationType(holder: AppScoped, key: string): NotificationType | undefined {
  return kernelTypes.get(key) ?? lookupInApp(holder, PLUGIN_TYPES_SLOT)?.get(key);
}

/** Every type known to the app owning `holder`, by key. */
export function notificationTypes(holder: AppScoped): NotificationType[] {
  const plugins = lookupInApp(holder, PLUGIN_TYPES_SLOT)?.values() ?? [];
  return [...kernelTypes.values(), ...plugins].sort((a, b) => a.key.localeCompare(b.key));
}

export const KERNEL_NOTIFICATION_TYPES = {
  commentMentioned: kernelType({ key: 'comment.mentioned', label: 'Mentioned in a comment' }),
  taskAssigned: kernelType({ key: 'task.assigned', label: 'A task was assigned to me' }),
  taskDue: kernelType({ key: 'task.due', label: 'A task of mine is due soon' }),
  taskOverdue: kernelType({ key: 'task.overdue', label: 'A task of mine is overdue' }),
  contactStale: kernelType({ key: 'contact.stale', label: 'A contact of mine was not contacted for a while' }),
  automationNotify: kernelType({ key: 'automation.notify', label: 'An automation rule notified me' }),
  webhookEndpointDisabled: kernelType({
    key: 'webhook.endpointDisabled',
    label: 'A webhook endpoint was disabled (admins)',
    defaults: { in_app: true, email: true },
  }),
} as const;
