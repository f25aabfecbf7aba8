import { ChangeSetType, type ChangeSet, type EventSubscriber, type FlushEventArgs, type UnitOfWork } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { auditActorOf, takeAuditAnnotation } from '../../db/audit-context.js';
import { recordAuditEntries, type AuditEntryInput } from './audit-log.js';
import type { Changes } from './redact.js';
import { fieldChanges } from '../../db/change-sets.js';

/** Entities never audited row by row: the log itself, derived rows, bookkeeping. Plugins may add theirs. */
const excluded = new Set([
  'AuditEntry',
  'TimelineLink',
  'TimelineEvent',
  'IdempotencyRecord',
  'ImportJob',
  'ImportRowError',
  'AuthSession',
  'RefreshToken',
]);

/** Entity class → [objectType, action prefix], where the GraphQL and action names differ from the class name. */
const names = new Map<string, [string, string]>([
  ['Membership', ['Member', 'member']],
  ['CustomRole', ['Role', 'role']],
  ['CustomFieldDefinition', ['CustomField', 'customField']],
]);

export function excludeFromAudit(...entityClassNames: string[]): void {
  for (const name of entityClassNames) excluded.add(name);
}

export function nameForAudit(entityClassName: string, objectType: string, actionPrefix: string): void {
  names.set(entityClassName, [objectType, actionPrefix]);
}

function auditNames(className: string): [string, string] {
  return names.get(className) ?? [className, className[0]!.toLowerCase() + className.slice(1)];
}

function isAudited(cs: ChangeSet<object>): boolean {
  const meta = cs.meta;
  return !excluded.has(meta.className) && ('workspaceId' in meta.properties || meta.className === 'User');
}

function verbOf(type: ChangeSetType, changes: Changes): string {
  if (type === ChangeSetType.CREATE) return 'created';
  if (type === ChangeSetType.DELETE || type === ChangeSetType.DELETE_EARLY) return 'deleted';
  const trash = changes.deletedAt;
  if (trash && trash.before == null && trash.after != null) return changes.mergedIntoId?.after != null ? 'merged' : 'deleted';
  if (trash && trash.before != null && trash.after == null) return 'restored';
  if (changes.revokedAt && changes.revokedAt.before == null && changes.revokedAt.after != null) return 'revoked';
  return 'updated';
}

/**
 * Records every create, update and delete flushed inside `runMutation` (where an actor is attached to the
 * transaction's entity manager): field-level before/after, one multi-row insert per flush, in the same transaction.
 * Entries are built in `onFlush` (before the writes, while the original values are at hand) and inserted in
 * `afterFlush`, so a flush that fails writes no entry.
 */
export class AuditSubscriber implements EventSubscriber {
  readonly #pending = new WeakMap<UnitOfWork, AuditEntryInput[]>();

  onFlush({ em, uow }: FlushEventArgs): void {
    this.#pending.delete(uow);
    const actor = auditActorOf(em);
    if (!actor) return;
    const entries: AuditEntryInput[] = [];
    const platform = em.getPlatform();
    for (const cs of uow.getChangeSets() as ChangeSet<object>[]) {
      if (!isAudited(cs)) continue;
      const [objectType, prefix] = auditNames(cs.meta.className);
      const { changes, hidden } = fieldChanges(cs, platform, { skipEmpty: true });
      const annotation = takeAuditAnnotation(cs.entity);
      const metadata: Record<string, unknown> = { ...annotation?.metadata };
      if (hidden.length) metadata.redactedFields = hidden;
      const workspaceId = ((cs.entity as { workspaceId?: string }).workspaceId ?? actor.workspaceId) || null;
      entries.push({
        workspaceId,
        actorUserId: actor.userId,
        actorApiKeyId: actor.apiKeyId,
        action: annotation?.action ?? `${prefix}.${verbOf(cs.type, changes)}`,
        objectType,
        objectId: cs.getSerializedPrimaryKey(),
        changes,
        metadata: Object.keys(metadata).length ? metadata : null,
        ip: actor.ip,
      });
    }
    if (entries.length) this.#pending.set(uow, entries);
  }

  async afterFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const entries = this.#pending.get(uow);
    if (!entries) return;
    this.#pending.delete(uow);
    await recordAuditEntries(em as SqlEntityManager, entries);
  }
}
