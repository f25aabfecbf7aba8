import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * An inbound integration of a workspace: an outside system (a shop, a form, a billing tool) that posts JSON to
 * `POST /hooks/in/<token>`, each post becoming an `integration.received` domain event. Only the token's sha256 is kept.
 */
@Entity({ tableName: 'integration' })
@Unique({ name: 'integration_workspace_name_unique', properties: ['workspaceId', 'name'] })
export class Integration {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @Property({ type: 'uuid' })
  workspaceId!: string;

  /** Named in the events it produces (`integration.received` `{ integration: name, … }`), e.g. `shop`. */
  @Property({ type: 'string', length: 60 })
  name!: string;

  @Property({ type: 'string', length: 64 })
  tokenHash!: string;

  @Property({ type: 'uuid', nullable: true })
  createdById?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  lastReceivedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}

/** A post accepted with an `Idempotency-Key`: a replay with the same key is answered with the first event, not a second. */
@Entity({ tableName: 'integration_receipt' })
@Index({ name: 'integration_receipt_workspace_idx', properties: ['workspaceId', 'receivedAt'] })
export class IntegrationReceipt {
  @PrimaryKey({ type: 'uuid' })
  integrationId!: string;

  @PrimaryKey({ type: 'string', length: 200 })
  idempotencyKey!: string;

  @Property({ type: 'uuid' })
  workspaceId!: string;

  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  receivedAt: Opt<Date> = new Date();
}
