import { ChangeSetType, type ChangeSet, type Platform, type EventSubscriber, type FlushEventArgs, type UnitOfWork } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { auditActorOf, takeAuditAnnotation } from './audit-context.js';
import { recordAuditEntries, type AuditEntryInput } from './audit-log.js';
import type { Changes } from './redact.js';

/** Entities never audited row by row: the log itself, derived rows, bookkeeping. Plugins may add theirs. */
const excluded = new Set(['AuditEntry', 'TimelineLink', 'TimelineEvent', 'IdempotencyRecord', 'ImportJob', 'ImportRowError', 'AuthSession', 'RefreshToken']);

/** Entity class → [objectType, action prefix], where the GraphQL and action names differ from the class name. */
const names = new Map<string, [string, string]>([
  ['Membership', ['Member', 'member']],
  ['CustomRole', ['Role', 'role']],
  ['CustomFieldDefinition', ['CustomField', 'customField']],
]);

/** Columns that change on every write or are derived: noise in a change log. */
const noise = new Set(['id', 'workspaceId', 'createdAt', 'updatedAt', 'version', 'searchText']);

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

type PropInfo = { hidden?: boolean; customType?: { constructor: { name: string }; convertToJSValue(value: unknown, platform: Platform): unknown } };

/** A JSON-safe value: the payload holds database forms (json and array columns serialized) — turn them back. */
function plain(value: unknown, prop: PropInfo | undefined, platform: Platform): unknown {
  if (value === undefined) return null;
  if (typeof value === 'string' && prop?.customType) {
    try {
      value = prop.customType.constructor.name === 'JsonType' ? JSON.parse(value) : prop.customType.convertToJSValue(value, platform);
    } catch {
      // keep the stored form
    }
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

const isEmpty = (value: unknown) => value == null || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && Object.keys(value as object).length === 0);

function verbOf(type: ChangeSetType, changes: Changes): string {
  if (type === ChangeSetType.CREATE) return 'created';
  if (type === ChangeSetType.DELETE || type === ChangeSetType.DELETE_EARLY) return 'deleted';
  const trash = changes.deletedAt;
  if (trash && trash.before == null && trash.after != null) return changes.mergedIntoId?.after != null ? 'merged' : 'deleted';
  if (trash && trash.before != null && trash.after == null) return 'restored';
  if (changes.revokedAt && changes.revokedAt.before == null && changes.revokedAt.after != null) return 'revoked';
  return 'updated';
}

/** Field-level before/after of one change set, without noise columns and hidden (secret) properties. */
function changesOf(cs: ChangeSet<object>, platform: Platform): { changes: Changes; hidden: string[] } {
  const changes: Changes = {};
  const hidden: string[] = [];
  const original = (cs.originalEntity ?? {}) as Record<string, unknown>;
  const deleting = cs.type === ChangeSetType.DELETE || cs.type === ChangeSetType.DELETE_EARLY;
  const source = (deleting ? original : cs.payload) as Record<string, unknown>;
  for (const [field, value] of Object.entries(source)) {
    if (noise.has(field)) continue;
    const prop = cs.meta.properties[field as keyof object] as PropInfo | undefined;
    if (prop?.hidden) {
      hidden.push(field);
      continue;
    }
    if (cs.type === ChangeSetType.CREATE) {
      const after = plain(value, prop, platform);
      if (!isEmpty(after)) changes[field] = { before: null, after };
    } else if (deleting) {
      const before = plain(value, prop, platform);
      if (!isEmpty(before)) changes[field] = { before, after: null };
    } else {
      changes[field] = { before: plain(original[field], prop, platform), after: plain(value, prop, platform) };
    }
  }
  return { changes, hidden };
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
      const { changes, hidden } = changesOf(cs, platform);
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
