import type { EventType } from './event-type.js';

/** What plugins hand the event machinery: before hooks run in the write's transaction, subscribers after it (outbox). */

/** What lifecycle callbacks and jobs receive: the workspace (when there is one) and a database handle scoped to it. */
export interface PluginContext {
  workspaceId: string | null;
  /** A MikroORM entity manager, in a transaction scoped to the workspace (row-level security). */
  em: unknown;
  settings: Record<string, unknown>;
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
  em: unknown;
}

export interface Subscriber {
  /** Unique within the plugin; deliveries are tracked per subscriber. */
  name: string;
  /** Event types it receives (`defineEvent` tokens or names; `*` for all). */
  on: (EventType<object> | string)[];
  /** Milliseconds before a delivery counts as failed (default 10 s). */
  timeoutMs?: number;
  /** Attempts before the delivery goes to the dead-letter list (default 8). */
  maxAttempts?: number;
  handle(event: DomainEvent, context: PluginContext): Promise<void>;
}

/** A subscriber of one event type whose handler sees that type's payload: `subscribe(dealWon, { name, handle })`. */
export function subscribe<Payload extends object>(
  event: EventType<Payload>,
  subscriber: Omit<Subscriber, 'on' | 'handle'> & { handle(event: DomainEvent<Payload>, context: PluginContext): Promise<void> },
): Subscriber {
  return { ...subscriber, on: [event], handle: subscriber.handle as Subscriber['handle'] };
}
