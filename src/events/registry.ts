import type { SqlEntityManager } from '@mikro-orm/sql';
import type { BeforeHook, Subscriber } from './handlers.js';
import { eventTypeName } from './event-type.js';
import { KERNEL_EVENTS } from './kernel-events.js';
import { AppSlot, lookupInApp, type AppScoped } from '../registries/app-slot.js';

/**
 * Before hooks, after subscribers and the plugin-enabled check of one app. The kernel's own (and tests' kernel-level
 * ones) live in `kernelEvents`; each app builds an `EventRegistry` over it from its plugin set and attaches it to its
 * ORM (`eventsOf(em)` finds it), so two apps in one process never run each other's hooks or subscribers.
 */

/** The kernel's domain event types. Plugins declare theirs (`events` in the manifest), named `<thing>.<pastTense>`. */
export const KERNEL_EVENT_TYPES: readonly string[] = KERNEL_EVENTS.map((event) => event.type);

/** The kernel's writes that run before hooks (`runBeforeHooks(ctx, 'contact.create', draft)`). */
export const KERNEL_WRITE_POINTS = ['contact.create', 'contact.update'] as const;

export type PluginEnabledCheck = (workspaceId: string, pluginId: string) => boolean | Promise<boolean>;

/** Reads a plugin's settings in a workspace (defaults filled in), inside a transaction scoped to it. */
export type PluginSettingsReader = (em: SqlEntityManager, workspaceId: string, pluginId: string) => Promise<Record<string, unknown>>;

export interface RegisteredSubscriber extends Omit<Subscriber, 'on'> {
  /** The event type names it receives. */
  on: string[];
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

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 8;

let hookSeq = 0;

export class EventRegistry {
  readonly #subscribers = new Map<string, RegisteredSubscriber>();
  /** Event type → the plugin that declared it (`kernel` for the kernel's). */
  readonly #eventTypes = new Map<string, string>();
  readonly #hooks: RegisteredHook[] = [];
  #enabledCheck: PluginEnabledCheck | undefined;
  #settingsReader: PluginSettingsReader | undefined;

  constructor(readonly base?: EventRegistry) {}

  /** Registers an after subscriber; returns a function that unregisters it. Refuses a duplicate `<plugin>/<name>`. */
  registerSubscriber(subscriber: Subscriber & { plugin: string }): () => void {
    const key = `${subscriber.plugin}/${subscriber.name}`;
    if (this.subscriberByKey(key)) throw new Error(`${subscriber.plugin}: subscriber "${key}" is registered twice`);
    if (!subscriber.on.length) throw new Error(`${subscriber.plugin}: subscriber "${key}" listens to no event type`);
    const registered: RegisteredSubscriber = {
      ...subscriber,
      on: subscriber.on.map(eventTypeName),
      key,
      timeoutMs: subscriber.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxAttempts: Math.max(1, subscriber.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
    };
    this.#subscribers.set(key, registered);
    return () => {
      if (this.#subscribers.get(key) === registered) this.#subscribers.delete(key);
    };
  }

  /** Declares an event type the plugin emits (the manifest's `events`); returns a function that withdraws it. */
  declareEventType(type: string, plugin: string): () => void {
    this.#eventTypes.set(type, plugin);
    return () => {
      if (this.#eventTypes.get(type) === plugin) this.#eventTypes.delete(type);
    };
  }

  /** The plugin that declared `type` (`kernel` for the kernel's), or undefined when nobody did. */
  declaredBy(type: string): string | undefined {
    return this.#eventTypes.get(type) ?? this.base?.declaredBy(type);
  }

  /** Every declared event type (the kernel's, then the plugins'), sorted. */
  declaredTypes(): string[] {
    return [...new Set([...(this.base?.declaredTypes() ?? []), ...this.#eventTypes.keys()])].sort();
  }

  subscriberByKey(key: string): RegisteredSubscriber | undefined {
    return this.#subscribers.get(key) ?? this.base?.subscriberByKey(key);
  }

  allSubscribers(): RegisteredSubscriber[] {
    return [...(this.base?.allSubscribers() ?? []), ...this.#subscribers.values()];
  }

  /** Subscribers whose `on` names the type (or `*`), in registration order. */
  subscribersFor(type: string): RegisteredSubscriber[] {
    return this.allSubscribers().filter((s) => s.on.includes(type) || s.on.includes('*'));
  }

  /** Registers a before hook; returns a function that unregisters it. */
  registerHook(hook: BeforeHook & { plugin: string }): () => void {
    const registered: RegisteredHook = { ...hook, order: hook.order ?? 100, seq: hookSeq++ };
    this.#hooks.push(registered);
    return () => {
      const at = this.#hooks.indexOf(registered);
      if (at >= 0) this.#hooks.splice(at, 1);
    };
  }

  /** Hooks guarding `on`, by `order` then registration order. */
  hooksFor(on: string): RegisteredHook[] {
    return [...(this.base?.hooksFor(on) ?? []), ...this.#hooks.filter((h) => h.on === on)].sort(
      (a, b) => a.order - b.order || a.seq - b.seq,
    );
  }

  /** How hooks, workers and node loaders learn whether a plugin is enabled in a workspace (default: always). */
  setPluginEnabledCheck(check: PluginEnabledCheck): void {
    this.#enabledCheck = check;
  }

  /** How subscribers learn their plugin's settings in the event's workspace (createApp: the module host). */
  setPluginSettingsReader(reader: PluginSettingsReader): void {
    this.#settingsReader = reader;
  }

  async isPluginEnabled(workspaceId: string, pluginId: string): Promise<boolean> {
    if (pluginId === 'kernel') return true;
    const check = this.#enabledCheck ?? (this.base ? this.base.#enabledCheck : undefined);
    return check ? await check(workspaceId, pluginId) : true;
  }

  pluginSettingsIn(em: SqlEntityManager, workspaceId: string, pluginId: string): Promise<Record<string, unknown>> {
    const reader = this.#settingsReader ?? (this.base ? this.base.#settingsReader : undefined);
    return pluginId === 'kernel' || !reader ? Promise.resolve({}) : reader(em, workspaceId, pluginId);
  }
}

/** The kernel's hooks, subscribers and event types (and those tests register as `kernel`); every app's registry builds on it. */
export const kernelEvents = new EventRegistry();
for (const type of KERNEL_EVENT_TYPES) kernelEvents.declareEventType(type, 'kernel');

export const EVENTS_SLOT = new AppSlot<EventRegistry>('event registry');

/** The event registry of the app that owns `holder` (an entity manager or ORM); the kernel's when none is attached. */
export function eventsOf(holder: AppScoped): EventRegistry {
  return lookupInApp(holder, EVENTS_SLOT) ?? kernelEvents;
}

// Kernel-level registration (the kernel's own hooks and subscribers, and tests without an app).
export const registerSubscriber = (subscriber: Subscriber & { plugin: string }) => kernelEvents.registerSubscriber(subscriber);
export const registerHook = (hook: BeforeHook & { plugin: string }) => kernelEvents.registerHook(hook);
export const declareEventType = (type: string, plugin = 'kernel') => kernelEvents.declareEventType(type, plugin);
/** The check used where no app is attached (an ORM without createApp: tests of the outbox alone). */
export const setPluginEnabledCheck = (check: PluginEnabledCheck) => kernelEvents.setPluginEnabledCheck(check);
