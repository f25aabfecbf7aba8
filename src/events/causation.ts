import type { EntityManager } from '@mikro-orm/core';

/**
 * Why an event happened, when an automation rule's run caused it: the chain of runs that led to it, oldest first.
 * A run attaches its chain (its trigger event's, plus itself) to its transaction; every event written in that
 * transaction carries it (`outbox_event.causation`), and a rule that the chain already passed through too often is
 * not started again (loop protection, src/core/automation).
 */
export interface CausationLink {
  ruleId: string;
  runId: string;
}

const chainsByEm = new WeakMap<object, CausationLink[]>();
const chainsByTransaction = new WeakMap<object, CausationLink[]>();

/** Attaches the chain to a transaction's entity manager (and to its transaction, for forks that keep it). */
export function attachCausation(em: EntityManager, chain: CausationLink[]): void {
  chainsByEm.set(em, chain);
  const trx = em.getTransactionContext() as object | undefined;
  if (trx) chainsByTransaction.set(trx, chain);
}

/** The chain attached to this entity manager or its transaction (empty: not caused by a rule). */
export function causationOf(em: EntityManager): CausationLink[] {
  const direct = chainsByEm.get(em);
  if (direct) return direct;
  const trx = em.getTransactionContext() as object | undefined;
  return (trx && chainsByTransaction.get(trx)) || [];
}
