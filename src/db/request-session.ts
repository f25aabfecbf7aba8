import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from './orm.js';

/** The database side of one API request: an entity manager scoped to the caller's workspace. */
export interface RequestSession {
  em: SqlEntityManager;
  /** Ends the session: commits when `error` is undefined, otherwise rolls back. Idempotent. */
  end(error?: unknown): Promise<void>;
}

/** Opens the request's session for a workspace (null: an anonymous caller). */
export async function openRequestSession(orm: Orm, workspaceId: string | null): Promise<RequestSession> {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  if (workspaceId) em.setFilterParams('tenant', { workspaceId });
  return { em, end: async () => {} };
}
