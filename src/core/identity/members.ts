import type { SqlEntityManager } from '@mikro-orm/sql';
import { Sql, sql } from '../../db/sql.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { User } from './user.entity.js';

/** Which of the given user ids are members of the workspace (one query). */
export async function memberIds(em: SqlEntityManager, workspaceId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const q = sql`select user_id from membership where workspace_id = ${workspaceId} and user_id in (${Sql.join(
    userIds.map((id) => sql`${id}`),
    ', ',
  )})`;
  return new Set((await em.execute<{ user_id: string }[]>(q.text, q.params)).map((r) => r.user_id));
}

/**
 * The workspace member a record is assigned to (owner, assignee) from a global id: undefined leaves it as is, null
 * clears it; unknown users and users of other workspaces are rejected naming `field`.
 */
export async function memberOrReject(
  em: SqlEntityManager,
  workspaceId: string,
  globalId: string | null | undefined,
  field: string,
): Promise<User | null | undefined> {
  if (globalId === undefined) return undefined;
  if (globalId === null) return null;
  const id = expectGlobalId(globalId, 'User', field);
  if (!(await memberIds(em, workspaceId, [id])).has(id))
    throw InputRejected.one(field, 'user not found in this workspace', ErrorCode.NOT_FOUND);
  return em.getReference(User, id);
}
