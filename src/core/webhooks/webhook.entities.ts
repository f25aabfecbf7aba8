import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { OutboxEvent } from '../../events/outbox.entities.js';
import type { WebhookCondition } from './event-filters.js';

/**
 * Where a workspace's domain events are posted (`webhook:manage`). The secrets sign every request (Standard
 * Webhooks); during a rotation's overlap the previous secret signs too, until `previousExpiresAt`. Secrets are
 * hidden properties: the audit log and the API never show them (the API shows a new secret once).
 */
@Entity({ tableName: 'webhook_endpoint' })
@TenantFilter()
@Index({ name: 'webhook_endpoint_workspace_created_idx', properties: ['workspaceId', 'createdAt'] })
export class WebhookEndpoint extends TenantEntity {
  /** http(s), checked against the SSRF rules on save and again at send time. */
  @Property({ type: 'string', length: 2048 })
  url!: string;

  @Property({ type: 'string', length: 500, nullable: true })
  description?: string | null;

  /** Event type patterns: `contact.created`, `contact.*`, `*` (event-filters.ts). */
  @Property({ type: 'text[]' })
  eventTypes!: string[];

  /** All must hold on the (role-visible) event payload: `{ field: 'contact.lifecycleStage', equals: 'CUSTOMER' }`. */
  @Property({ type: 'json' })
  conditions: Opt<WebhookCondition[]> = [];

  @Property({ type: 'boolean', default: true })
  enabled: Opt<boolean> = true;

  /** The role (built-in key or custom role id) whose field allowlist shapes the payloads. */
  @Property({ type: 'string', length: 64, default: 'ADMIN' })
  role: Opt<string> = 'ADMIN';

  /** `whsec_…`, encrypted at rest (src/core/encryption `WEBHOOK_SECRET`): read and written through encryptSecret/decryptSecret. */
  @Property({ type: 'text', hidden: true })
  secret!: string;

  /** Encrypted like `secret` (`WEBHOOK_PREVIOUS_SECRET`). */
  @Property({ type: 'text', nullable: true, hidden: true })
  previousSecret?: string | null;

  /** Until then the previous secret signs too. */
  @Property({ type: 'datetime', nullable: true })
  previousSecretExpiresAt?: Date | null;

  /** The first failed attempt since the last success (null: healthy). */
  @Property({ type: 'datetime', nullable: true })
  failingSince?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  disabledAt?: Date | null;

  @Property({ type: 'string', length: 300, nullable: true })
  disabledReason?: string | null;

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;
}

/**
 * One event (or a test ping: no event) to one endpoint. status: `pending` (not tried yet, or queued again by a
 * replay) → `succeeded` | `failed` (the last attempt failed; retried at `nextAttemptAt`) → `dead` (the schedule is
 * exhausted, or the endpoint was disabled). `attempts` counts the attempts since the delivery was (re)queued — the
 * position in the retry schedule; the log's attempt numbers keep counting across replays.
 */
@Entity({ tableName: 'webhook_delivery' })
@TenantFilter()
@Unique({ name: 'webhook_delivery_endpoint_event_unique', properties: ['endpoint', 'event'] })
@Index({ name: 'webhook_delivery_due_idx', properties: ['status', 'nextAttemptAt'] })
@Index({ name: 'webhook_delivery_endpoint_created_idx', properties: ['endpoint', 'createdAt'] })
@Index({ name: 'webhook_delivery_workspace_event_idx', properties: ['workspaceId', 'event'] })
export class WebhookDelivery extends TenantEntity {
  @ManyToOne({ entity: () => WebhookEndpoint, deleteRule: 'cascade' })
  endpoint!: WebhookEndpoint;

  /** Null for a test ping. */
  @ManyToOne({ entity: () => OutboxEvent, deleteRule: 'cascade', nullable: true })
  event?: OutboxEvent | null;

  @Property({ type: 'string', length: 120 })
  eventType!: string;

  @Property({ type: 'string', length: 16, default: 'pending' })
  status: Opt<string> = 'pending';

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt?: Date | null;

  /** An attempt in flight: no other attempt starts before this time (a crashed sender's claim expires). */
  @Property({ type: 'datetime', nullable: true })
  lockedUntil?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastAttemptAt?: Date | null;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode?: number | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;
}

/** One HTTP attempt of a delivery: what was sent (headers, body excerpt) and what came back (status, ≤ 2 KB). */
@Entity({ tableName: 'webhook_attempt' })
@TenantFilter()
@Unique({ name: 'webhook_attempt_delivery_no_unique', properties: ['delivery', 'attemptNo'] })
export class WebhookAttempt {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @ManyToOne({ entity: () => WebhookDelivery, deleteRule: 'cascade' })
  delivery!: WebhookDelivery;

  @Property({ type: 'integer' })
  attemptNo!: number;

  @Property({ type: 'datetime' })
  attemptedAt!: Date;

  @Property({ type: 'string', length: 2048 })
  url!: string;

  @Property({ type: 'json' })
  requestHeaders!: Record<string, string>;

  @Property({ type: 'text' })
  requestBody!: string;

  @Property({ type: 'integer', nullable: true })
  responseStatus?: number | null;

  @Property({ type: 'text', nullable: true })
  responseBody?: string | null;

  @Property({ type: 'integer' })
  durationMs!: number;

  @Property({ type: 'text', nullable: true })
  error?: string | null;
}
