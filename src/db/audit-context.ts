import type { EntityManager } from '@mikro-orm/core';

/** Who writes inside a transaction: attached by `runMutation`, read by the audit subscriber. */
export interface AuditActor {
  workspaceId: string | null;
  userId: string | null;
  apiKeyId: string | null;
  ip: string | null;
}

/** An override for one entity's automatic entry (e.g. a merge names its action and what moved). */
export interface AuditAnnotation {
  action?: string;
  metadata?: Record<string, unknown>;
}

/** The actor of a request's principal (an API key acts for the member who created it; both ids are kept). */
export function auditActorFor(
  principal: { workspaceId: string | null; userId: string | null; apiKeyId: string | null },
  ip?: string | null,
): AuditActor {
  return { workspaceId: principal.workspaceId, userId: principal.userId, apiKeyId: principal.apiKeyId, ip: ip || null };
}

const actorsByEm = new WeakMap<object, AuditActor>();
const actorsByTransaction = new WeakMap<object, AuditActor>();
const annotations = new WeakMap<object, AuditAnnotation>();

/**
 * Attaches the actor to a transaction's entity manager (and to its transaction, so forks that keep the
 * transaction context find it too). Writes flushed through that entity manager are audited row by row.
 */
export function attachAuditActor(em: EntityManager, actor: AuditActor): void {
  actorsByEm.set(em, actor);
  const trx = em.getTransactionContext() as object | undefined;
  if (trx) actorsByTransaction.set(trx, actor);
}

/** The actor attached to this entity manager or its transaction; null = not audited (seed, import, sign-in bookkeeping). */
export function auditActorOf(em: EntityManager): AuditActor | null {
  const direct = actorsByEm.get(em);
  if (direct) return direct;
  const trx = em.getTransactionContext() as object | undefined;
  return (trx && actorsByTransaction.get(trx)) || null;
}

/** Names the action and adds metadata for the next automatic entry of this entity. */
export function annotateAudit(entity: object, annotation: AuditAnnotation): void {
  annotations.set(entity, {
    ...annotations.get(entity),
    ...annotation,
    metadata: { ...annotations.get(entity)?.metadata, ...annotation.metadata },
  });
}

/** Takes (and forgets) an entity's annotation. */
export function takeAuditAnnotation(entity: object): AuditAnnotation | undefined {
  const annotation = annotations.get(entity);
  if (annotation) annotations.delete(entity);
  return annotation;
}
