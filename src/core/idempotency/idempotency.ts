import type { SqlEntityManager } from '@mikro-orm/sql';
import { IdempotencyRecord } from './idempotency-record.entity.js';
import { InputRejected } from '../../graphql/errors.js';

/**
 * Runs `create` once per (operation, key): a repeated call returns the id recorded by the first. The record is
 * written in the caller's transaction, so a rejected create leaves no key behind.
 */
export async function once(
  em: SqlEntityManager,
  workspaceId: string,
  operation: string,
  key: string | null | undefined,
  create: () => Promise<string>,
): Promise<{ id: string; replayed: boolean }> {
  if (key == null) return { id: await create(), replayed: false };
  if (key.length === 0 || key.length > 200) throw InputRejected.one('idempotencyKey', 'must be 1 to 200 characters');
  const previous = await em.findOne(IdempotencyRecord, { operation, key });
  if (previous) return { id: previous.resultId, replayed: true };
  const id = await create();
  em.create(IdempotencyRecord, { workspaceId, operation, key, resultId: id });
  await em.flush();
  return { id, replayed: false };
}
