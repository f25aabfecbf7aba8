import { ChangeSetType, type ChangeSet, type EventSubscriber, type FlushEventArgs, type Platform, type UnitOfWork } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { auditActorOf } from '../db/audit-context.js';
import { insertEvents, type EventInput } from './emit.js';
import { fieldChanges, type FieldChange } from '../db/change-sets.js';

type Change = FieldChange;

/** Entity class → event prefix. */
const sources = new Map([
  ['Contact', 'contact'],
  ['Company', 'company'],
  ['Activity', 'activity'],
]);

const afterValues = (changes: Record<string, Change>) => Object.fromEntries(Object.entries(changes).map(([f, c]) => [f, c.after]));
const beforeValues = (changes: Record<string, Change>) => Object.fromEntries(Object.entries(changes).map(([f, c]) => [f, c.before]));

/** The kernel's domain events of one change set (empty when nothing meaningful changed). */
export function eventsOf(prefix: string, cs: ChangeSet<object>, platform: Platform): { type: string; payload: Record<string, unknown> }[] {
  const id = cs.getSerializedPrimaryKey();
  const { changes } = fieldChanges(cs, platform);
  if (cs.type === ChangeSetType.CREATE) {
    return [{ type: prefix === 'activity' ? 'activity.logged' : `${prefix}.created`, payload: { id, [prefix]: afterValues(changes) } }];
  }
  if (cs.type === ChangeSetType.DELETE || cs.type === ChangeSetType.DELETE_EARLY) {
    return [{ type: prefix === 'activity' ? 'activity.deleted' : `${prefix}.purged`, payload: { id, [prefix]: beforeValues(changes) } }];
  }
  const fields = Object.keys(changes);
  if (!fields.length) return [];
  const trash = changes.deletedAt;
  if (trash && trash.before == null && trash.after != null) {
    const mergedInto = changes.mergedIntoId?.after ?? changes.mergedInto?.after;
    return [
      mergedInto != null
        ? { type: `${prefix}.merged`, payload: { id, mergedIntoId: mergedInto } }
        : { type: `${prefix}.deleted`, payload: { id } },
    ];
  }
  if (trash && trash.before != null && trash.after == null) return [{ type: `${prefix}.restored`, payload: { id } }];
  const events = [{ type: `${prefix}.updated`, payload: { id, changedFields: fields, changes } as Record<string, unknown> }];
  if (prefix === 'contact' && changes.lifecycleStage) {
    events.push({
      type: 'contact.lifecycleChanged',
      payload: { id, before: changes.lifecycleStage.before, after: changes.lifecycleStage.after },
    });
  }
  if (prefix === 'activity' && changes.completedAt && changes.completedAt.before == null && changes.completedAt.after != null) {
    const entity = cs.entity as { type?: string; subject?: string };
    if (entity.type === 'TASK')
      events.push({ type: 'task.completed', payload: { id, subject: entity.subject ?? null, completedAt: changes.completedAt.after } });
  }
  return events;
}

/**
 * Turns the flushed changes of contacts, companies and activities made inside `runMutation` (where an actor is
 * attached to the transaction, like the audit log) into domain events, inserted into the outbox in the same
 * transaction: an event exists iff its write committed. Built in `onFlush` (original values at hand), inserted in
 * `afterFlush` (a flush that fails inserts nothing). Writes outside runMutation (seeds, imports) emit no events.
 */
export class DomainEventSubscriber implements EventSubscriber {
  readonly #pending = new WeakMap<UnitOfWork, EventInput[]>();

  onFlush({ em, uow }: FlushEventArgs): void {
    this.#pending.delete(uow);
    const actor = auditActorOf(em);
    if (!actor) return;
    const events: EventInput[] = [];
    const platform = em.getPlatform();
    for (const cs of uow.getChangeSets() as ChangeSet<object>[]) {
      const prefix = sources.get(cs.meta.className);
      if (!prefix) continue;
      const workspaceId = (cs.entity as { workspaceId?: string }).workspaceId ?? actor.workspaceId;
      if (!workspaceId) continue;
      for (const event of eventsOf(prefix, cs, platform)) {
        events.push({ ...event, workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId });
      }
    }
    if (events.length) this.#pending.set(uow, events);
  }

  async afterFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const events = this.#pending.get(uow);
    if (!events) return;
    this.#pending.delete(uow);
    await insertEvents(em as SqlEntityManager, events);
  }
}
