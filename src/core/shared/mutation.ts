import type { SqlEntityManager } from '@mikro-orm/sql';
import { OptimisticLockError, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { withEntityManager, type RequestContext } from '../../graphql/context.js';
import { attachAuditActor, auditActorFor } from '../../db/audit-context.js';

/**
 * Runs a write in one transaction on a child entity manager. Rejected input, stale versions and unique
 * violations roll the transaction back and come back as `userErrors`; nothing is written.
 */
export async function runMutation<T extends object>(
  ctx: RequestContext,
  work: (tx: RequestContext) => Promise<T>,
): Promise<T & { userErrors: UserError[] }> {
  try {
    // everything inside reads and writes through the transaction (PGlite has a single connection)
    const result = await ctx.em.transactional((em) => {
      // the audit subscriber records this transaction's writes with the caller as actor
      if (ctx.principal.userId || ctx.principal.apiKeyId) attachAuditActor(em, auditActorFor(ctx.principal, ctx.ip));
      return work(withEntityManager(ctx, em as SqlEntityManager));
    });
    return { ...result, userErrors: [] };
  } catch (error) {
    const errors = asUserErrors(error);
    if (!errors) throw error;
    ctx.em.clear();
    return { userErrors: errors } as T & { userErrors: UserError[] };
  }
}

export function asUserErrors(error: unknown): UserError[] | null {
  if (error instanceof InputRejected) return error.errors;
  if (error instanceof OptimisticLockError) {
    return [userError('version', 'the record was changed by someone else; reload it and try again', ErrorCode.CONFLICT)];
  }
  if (error instanceof UniqueConstraintViolationException) {
    return [userError('input', 'a record with the same unique value already exists', ErrorCode.CONFLICT)];
  }
  return null;
}

/** Checks the version a client edited against the stored one. */
export function expectVersion(current: number, expected: number | null | undefined): void {
  if (expected != null && current !== expected) {
    throw InputRejected.one('version', `the record is at version ${current}, not ${expected}; reload it and try again`, ErrorCode.CONFLICT);
  }
}
