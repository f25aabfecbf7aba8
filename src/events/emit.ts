import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { auditActorOf } from '../db/audit-context.js';
import { causationOf } from './causation.js';
import { eventsOf, kernelEvents } from './registry.js';
import type { EventType } from './event-type.js';

export interface EventInput {
  workspaceId: string;
  type: string;
  payload: Record<string, unknown>;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
}

const TYPE = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;

/** bigint values (money in minor units) as numbers when exact, else text. */
const jsonSafe = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value;

/**
 * Inserts events into the outbox through `em` — inside the caller's transaction, so they commit or roll back
 * with the write they describe; each carries the transaction's causation chain — and one pending delivery per
 * subscriber registered for each event's type now.
 * Returns the events' ids.
 */
export async function insertEvents(em: SqlEntityManager, events: EventInput[]): Promise<string[]> {
  if (!events.length) return [];
  const registry = eventsOf(em);
  const chain = causationOf(em);
  const causation = chain.length ? JSON.stringify(chain) : null;
  const ids: string[] = [];
  const eventParams: unknown[] = [];
  const deliveryParams: unknown[] = [];
  for (const event of events) {
    if (!TYPE.test(event.type) || event.type.length > 120) throw new Error(`Event type "${event.type}" is not of the form thing.happened`);
    const id = randomUUID();
    ids.push(id);
    eventParams.push(
      id,
      event.workspaceId,
      event.type,
      JSON.stringify(event.payload ?? {}, jsonSafe),
      event.actorUserId ?? null,
      event.actorApiKeyId ?? null,
      causation,
    );
    for (const subscriber of registry.subscribersFor(event.type))
      deliveryParams.push(randomUUID(), id, event.workspaceId, subscriber.key, subscriber.plugin);
  }
  await em.execute(
    `insert into outbox_event (id, workspace_id, type, payload, actor_user_id, actor_api_key_id, causation, occurred_at) values ${events.map(() => '(?, ?, ?, cast(? as jsonb), ?, ?, cast(? as jsonb), clock_timestamp())').join(', ')}`,
    eventParams,
  );
  if (deliveryParams.length) {
    await em.execute(
      `insert into outbox_delivery (id, event_id, workspace_id, subscriber, plugin) values ${Array.from({ length: deliveryParams.length / 5 }, () => '(?, ?, ?, ?, ?)').join(', ')}`,
      deliveryParams,
    );
  }
  return ids;
}

/**
 * Emits a plugin's own domain event inside the current write (`runMutation`'s transaction): delivered to its
 * subscribers after commit, never if the write rolls back. The workspace and actor default to the transaction's.
 * In an app, the type must be declared (a manifest's `events`, or the kernel's): an undeclared one throws.
 */
export async function emitEvent<Payload extends object>(
  em: EntityManager | SqlEntityManager,
  event: EventType<Payload>,
  payload: Payload,
  options?: { workspaceId?: string },
): Promise<string>;
export async function emitEvent(
  em: EntityManager | SqlEntityManager,
  event: { type: string; payload: Record<string, unknown>; workspaceId?: string },
): Promise<string>;
export async function emitEvent(
  em: EntityManager | SqlEntityManager,
  token: { type: string; payload?: object; workspaceId?: string },
  typedPayload?: object,
  options?: { workspaceId?: string },
): Promise<string> {
  const event = typedPayload === undefined ? token : { type: token.type, payload: typedPayload, workspaceId: options?.workspaceId };
  const [id] = await emitEvents(em, { type: event.type } as EventType<object>, [(event.payload ?? {}) as object], {
    workspaceId: event.workspaceId,
  });
  return id!;
}

/** Rows per insert: seven parameters an event, under PostgreSQL's 65,535 per statement. */
const EVENTS_PER_INSERT = 2000;

/**
 * `emitEvent` for many events of one type in one write (a list import's `segment.entered` per contact): the same
 * checks, one insert per 2,000 events instead of one per event. Returns the events' ids in order.
 */
export async function emitEvents<Payload extends object>(
  em: EntityManager | SqlEntityManager,
  event: EventType<Payload>,
  payloads: readonly Payload[],
  options?: { workspaceId?: string },
): Promise<string[]> {
  if (!payloads.length) return [];
  const registry = eventsOf(em as SqlEntityManager);
  if (registry !== kernelEvents && !registry.declaredBy(event.type)) {
    throw new Error(`emitEvent("${event.type}"): no installed plugin declares this event type (list it in the manifest's \`events\`)`);
  }
  const actor = auditActorOf(em as EntityManager);
  const workspaceId = options?.workspaceId ?? actor?.workspaceId;
  if (!workspaceId) throw new Error(`emitEvent("${event.type}") needs a workspace: call it inside runMutation or pass workspaceId`);
  const ids: string[] = [];
  for (let at = 0; at < payloads.length; at += EVENTS_PER_INSERT) {
    const rows = payloads.slice(at, at + EVENTS_PER_INSERT).map((payload) => ({
      workspaceId,
      type: event.type,
      payload: payload as Record<string, unknown>,
      actorUserId: actor?.userId ?? null,
      actorApiKeyId: actor?.apiKeyId ?? null,
    }));
    ids.push(...(await insertEvents(em as SqlEntityManager, rows)));
  }
  return ids;
}
