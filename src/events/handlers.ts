import type { SqlEntityManager } from '@mikro-orm/sql';
import type { EventType } from './event-type.js';
import type { CausationLink } from './causation.js';

/** What plugins hand the event machinery: before hooks run in the write's transaction, subscribers after it (outbox). */

/**
 * What subscribers, jobs and lifecycle callbacks receive: the workspace (when there is one), an entity manager scoped
 * to it, and the plugin's settings there — parsed by the plugin's zod schema once, defaults filled in (the manifest's
 * `settings` gives `Settings` its type).
 */
export interface PluginContext<Settings = Record<string, unknown>> {
  workspaceId: string | null;
  /** A MikroORM entity manager in the workspace (on PostgreSQL a transaction under row-level security). */
  em: SqlEntityManager;
  settings: Settings;
}

/** A typed domain event as subscribers receive it. `id` is stable across redeliveries (idempotency). */
export interface DomainEvent<Payload = Record<string, unknown>> {
  id: string;
  /** `contact.created`, `contact.updated`, `deal.won` … */
  type: string;
  workspaceId: string;
  occurredAt: Date;
  actor: { userId: string | null; apiKeyId: string | null };
  payload: Payload;
  /** The automation runs that caused it, oldest first (empty: a person or a plugin's own code did). */
  causation?: CausationLink[];
}

export interface BeforeHook {
  /** The write it guards: `contact.create`, `contact.update`, `activity.log`, or a plugin's. */
  on: string;
  /** Lower runs first (default 100). */
  order?: number;
  /** May change `draft` in place; throw `InputRejected` to veto (the transaction rolls back, nothing is written). */
  run(draft: Record<string, unknown>, context: HookContext): Promise<void> | void;
}

export interface HookContext {
  workspaceId: string;
  actor: { userId: string | null; apiKeyId: string | null };
  /** The write's transaction. */
  em: SqlEntityManager;
}

export interface Subscriber<Settings = Record<string, unknown>> {
  /** Unique within the plugin; deliveries are tracked per subscriber. */
  name: string;
  /** Event types it receives (`defineEvent` tokens or names; `*` for all). */
  on: (EventType<object> | string)[];
  /** Milliseconds before a delivery counts as failed (default 10 s). */
  timeoutMs?: number;
  /** Attempts before the delivery goes to the dead-letter list (default 8). */
  maxAttempts?: number;
  /**
   * Handle each event at most once (default false: at least once). The kernel records the event id for the subscriber
   * in the delivery's transaction before the handler runs, and a redelivery of a recorded event is settled without
   * calling the handler; a handler that throws leaves nothing recorded, so the retry runs it again.
   */
  idempotent?: boolean;
  handle(event: DomainEvent, context: SubscriberContext<Settings>): Promise<void>;
}

/** A subscriber's context: always in the event's workspace. */
export interface SubscriberContext<Settings = Record<string, unknown>> extends PluginContext<Settings> {
  workspaceId: string;
}

/** A subscriber of one event type whose handler sees that type's payload: `subscribe(dealWon, { name, handle })`. */
export function subscribe<Payload extends object, Settings = Record<string, unknown>>(
  event: EventType<Payload>,
  subscriber: Omit<Subscriber<Settings>, 'on' | 'handle'> & {
    handle(event: DomainEvent<Payload>, context: SubscriberContext<Settings>): Promise<void>;
  },
): Subscriber<Settings> {
  return { ...subscriber, on: [event], handle: subscriber.handle as Subscriber<Settings>['handle'] };
}
