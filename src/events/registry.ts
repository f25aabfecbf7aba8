import type { SqlEntityManager } from '@mikro-orm/sql';
import type { BeforeHook, Subscriber } from '../sdk/manifest.js';

/**
 * Before hooks and after subscribers, registered by plugin id (`kernel` for the kernel's own and for tests).
 * Whether a plugin is enabled in a workspace is asked through `setPluginEnabledCheck` (default: always enabled);
 * the module toggling installs the real check.
 */

/** The kernel's domain event types. Plugins emit their own (`emitEvent`), named `<thing>.<pastTense>`. */
export const KERNEL_EVENT_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.lifecycleChanged',
  'contact.deleted',
  'contact.restored',
  'contact.merged',
  'contact.purged',
  'company.created',
  'company.updated',
  'company.deleted',
  'company.restored',
  'company.merged',
  'company.purged',
  'activity.logged',
  'activity.updated',
  'activity.deleted',
  'task.completed',
] as const;

export type PluginEnabledCheck = (workspaceId: string, pluginId: string) => boolean | Promise<boolean>;

let enabledCheck: PluginEnabledCheck = () => true;

/** Installs how hooks and workers learn whether a plugin is enabled in a workspace (the kernel always is). */
export function setPluginEnabledCheck(check: PluginEnabledCheck): void {
  enabledCheck = check;
}

/** Reads a plugin's settings in a workspace (defaults filled in), inside a transaction scoped to it. */
export type PluginSettingsReader = (em: SqlEntityManager, workspaceId: string, pluginId: string) => Promise<Record<string, unknown>>;

let settingsReader: PluginSettingsReader = async () => ({});

/** Installs how subscribers learn their plugin's settings in the event's workspace (createApp: the module host). */
export function setPluginSettingsReader(reader: PluginSettingsReader): void {
  settingsReader = reader;
}

export function pluginSettingsIn(em: SqlEntityManager, workspaceId: string, pluginId: string): Promise<Record<string, unknown>> {
  return pluginId === 'kernel' ? Promise.resolve({}) : settingsReader(em, workspaceId, pluginId);
}

export async function isPluginEnabled(workspaceId: string, pluginId: string): Promise<boolean> {
  return pluginId === 'kernel' || (await enabledCheck(workspaceId, pluginId));
}

export interface RegisteredSubscriber extends Subscriber {
  plugin: string;
  /** `<plugin>/<name>`: the delivery rows' subscriber column. */
  key: string;
  timeoutMs: number;
  maxAttempts: number;
}

export interface RegisteredHook extends BeforeHook {
  plugin: string;
  order: number;
  /** Registration sequence: the tie-breaker after `order`. */
  seq: number;
}

const subscribers = new Map<string, RegisteredSubscriber>();
const hooks: RegisteredHook[] = [];
let hookSeq = 0;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 8;

/** Registers an after subscriber; returns a function that unregisters it. Refuses a duplicate `<plugin>/<name>`. */
export function registerSubscriber(subscriber: Subscriber & { plugin: string }): () => void {
  const key = `${subscriber.plugin}/${subscriber.name}`;
  if (subscribers.has(key)) throw new Error(`Subscriber "${key}" is registered twice`);
  if (!subscriber.on.length) throw new Error(`Subscriber "${key}" listens to no event type`);
  const registered: RegisteredSubscriber = {
    ...subscriber,
    key,
    timeoutMs: subscriber.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxAttempts: Math.max(1, subscriber.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
  };
  subscribers.set(key, registered);
  return () => {
    if (subscribers.get(key) === registered) subscribers.delete(key);
  };
}

export function subscriberByKey(key: string): RegisteredSubscriber | undefined {
  return subscribers.get(key);
}

export function allSubscribers(): RegisteredSubscriber[] {
  return [...subscribers.values()];
}

/** Subscribers whose `on` names the type (or `*`), in registration order. */
export function subscribersFor(type: string): RegisteredSubscriber[] {
  return allSubscribers().filter((s) => s.on.includes(type) || s.on.includes('*'));
}

/** Registers a before hook; returns a function that unregisters it. */
export function registerHook(hook: BeforeHook & { plugin: string }): () => void {
  const registered: RegisteredHook = { ...hook, order: hook.order ?? 100, seq: hookSeq++ };
  hooks.push(registered);
  return () => {
    const at = hooks.indexOf(registered);
    if (at >= 0) hooks.splice(at, 1);
  };
}

/** Hooks guarding `on`, by `order` then registration order. */
export function hooksFor(on: string): RegisteredHook[] {
  return hooks.filter((h) => h.on === on).sort((a, b) => a.order - b.order || a.seq - b.seq);
}
