import type { SqlEntityManager } from '@mikro-orm/sql';
import { isPglite, type Orm } from './orm.js';
import { setTenantContext } from './rls/tenant-context.js';

/** The database side of one API request: an entity manager scoped to the caller's workspace. */
export interface RequestSession {
  em: SqlEntityManager;
  /** Ends the session: commits when `error` is undefined, otherwise rolls back. Idempotent. */
  end(error?: unknown): Promise<void>;
}

export interface RequestSessionOptions {
  /** The caller's user when the credentials already name one (lets RLS show the user's own memberships). */
  userId?: string | null;
}

/**
 * Opens the request's session for a workspace (null: an anonymous caller).
 *
 * PostgreSQL: one transaction on one pooled connection for the whole request, with the tenant context
 * (`app.workspace_id`, `app.user_id`) set in it, so row-level security scopes every statement the request runs —
 * entity queries, loaders, `em.execute`. `runMutation`'s `em.transactional` nests as a savepoint in it (a rolled
 * back mutation leaves the request's transaction usable). `end()` commits (or rolls back on error) and returns the
 * connection. An anonymous session sets nothing: tenant tables then show no rows.
 *
 * PGlite: a plain fork, no transaction. PGlite has one connection for everyone: a request-long transaction would
 * take in other requests' statements; its single user is a superuser, so the policies would not apply anyway.
 */
export async function openRequestSession(
  orm: Orm,
  workspaceId: string | null,
  options: RequestSessionOptions = {},
): Promise<RequestSession> {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  if (workspaceId) em.setFilterParams('tenant', { workspaceId });
  if (isPglite(orm)) return { em, end: async () => {} };

  await em.begin();
  try {
    if (workspaceId || options.userId) await setTenantContext(em, { workspaceId, userId: options.userId });
  } catch (error) {
    await em.rollback().catch(() => undefined);
    throw error;
  }
  let ending: Promise<void> | null = null;
  const finish = async (error: unknown) => {
    if (!em.isInTransaction()) return;
    // writes go through runMutation (its own savepoint, flushed there): nothing left unflushed is meant to be written
    em.clear();
    if (error === undefined) {
      try {
        await em.commit();
        return;
      } catch (commitError) {
        if (em.isInTransaction()) await em.rollback().catch(() => undefined);
        throw commitError;
      }
    }
    await em.rollback();
  };
  return {
    em,
    end(error?: unknown) {
      ending ??= finish(error);
      return ending;
    },
  };
}

/**
 * Ends the session (rolling back whatever is still open) when the HTTP response closes: finished, failed or
 * aborted by the client. A safety net for paths that never reach the normal end (a session left open would hold
 * its pooled connection); for streamed responses (CSV export) it is the normal end.
 */
export function endSessionWithResponse(
  response: NodeJS.EventEmitter,
  session: RequestSession,
  outcome: () => unknown = () => new Error('the response closed before the session was ended'),
): void {
  response.once('close', () => {
    session.end(outcome()).catch(() => undefined);
  });
}
