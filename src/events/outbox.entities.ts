import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * One domain event, inserted in the transaction of the write it describes (so it exists iff that write committed).
 * Written and read only with plain SQL (src/events/emit.ts, outbox-worker.ts), never through the unit of work.
 * Row-level security: the tenant policy plus `outbox_worker` (see migrations/Migration20261123140000Outbox.ts).
 */
@Entity({ tableName: 'outbox_event' })
@Index({ name: 'outbox_event_workspace_time_idx', properties: ['workspaceId', 'occurredAt'] })
@Index({ name: 'outbox_event_workspace_tx_idx', properties: ['workspaceId', 'txId'] })
export class OutboxEvent {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;

  /** `contact.created`, `deal.won` … */
  @Property({ type: 'string', length: 120 })
  type!: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'uuid', nullable: true })
  actorUserId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  actorApiKeyId?: string | null;

  /** The automation runs that caused it, oldest first (src/events/causation.ts); null when none did. */
  @Property({ type: 'json', nullable: true })
  causation?: { ruleId: string; runId: string }[] | null;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  occurredAt: Opt<Date> = new Date();

  /** The inserting transaction (`xid8`): subscription feeds stream in commit-safe order (src/events/subscriptions). */
  @Property({ type: 'string', columnType: 'xid8', defaultRaw: 'pg_current_xact_id()' })
  txId!: Opt<string>;
}

/**
 * Delivery state of one event to one subscriber (`<plugin>/<name>`), created with the event for every subscriber
 * registered for its type at that moment. status: `pending` → `delivered` | `dead` (attempts exhausted; the
 * dead-letter list) | `skipped` (the subscriber's plugin was disabled in the workspace when it came due).
 */
@Entity({ tableName: 'outbox_delivery' })
@Unique({ name: 'outbox_delivery_event_subscriber_unique', properties: ['event', 'subscriber'] })
@Index({ name: 'outbox_delivery_due_idx', properties: ['status', 'nextAttemptAt'] })
@Index({ name: 'outbox_delivery_workspace_status_idx', properties: ['workspaceId', 'status', 'updatedAt'] })
export class OutboxDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @ManyToOne({ entity: () => OutboxEvent, deleteRule: 'cascade' })
  event!: OutboxEvent;

  @Property({ type: 'uuid' })
  workspaceId!: string;

  /** `<plugin>/<name>`. */
  @Property({ type: 'string', length: 200 })
  subscriber!: string;

  @Property({ type: 'string', length: 100 })
  plugin!: string;

  @Property({ type: 'string', length: 16, default: 'pending' })
  status: Opt<string> = 'pending';

  /** Attempts started (counted when claimed, so a delivery that crashes the process counts too). */
  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  nextAttemptAt: Opt<Date> = new Date();

  /** A worker's claim: no other worker takes the row before this time (a crashed worker's claim expires). */
  @Property({ type: 'datetime', nullable: true })
  lockedUntil?: Date | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', nullable: true })
  deliveredAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  updatedAt: Opt<Date> = new Date();
}

/**
 * An event an `idempotent` subscriber has handled: inserted in the delivery's transaction before the handler runs,
 * so a redelivery finds it and skips the handler. Goes with its event (cascade) and, on uninstall, with the plugin.
 */
@Entity({ tableName: 'processed_event' })
@Index({ name: 'processed_event_workspace_subscriber_idx', properties: ['workspaceId', 'subscriber'] })
export class ProcessedEvent {
  @ManyToOne({ entity: () => OutboxEvent, deleteRule: 'cascade', primary: true })
  event!: OutboxEvent;

  /** `<plugin>/<name>`. */
  @PrimaryKey({ type: 'string', length: 200 })
  subscriber!: string;

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  processedAt: Opt<Date> = new Date();
}
