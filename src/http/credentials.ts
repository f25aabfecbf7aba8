import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../db/orm.js';
import type { AppConfig } from '../config.js';
import type { Principal } from '../core/permissions/principal.js';
import { principalFromHeaders } from './principal.js';

/**
 * What a request's credentials claim: the workspace (known before any database read, so the request's
 * session can be scoped to it) and how to load the principal inside that session.
 */
export interface Credentials {
  workspaceId: string | null;
  principal(em: SqlEntityManager): Promise<Principal>;
}

export type Headers = Record<string, string | string[] | undefined>;

/** Reads the request's credentials. Throws a GraphQL-coded error (UNAUTHENTICATED) on bad credentials. */
export async function readCredentials(orm: Orm, _config: AppConfig, headers: Headers): Promise<Credentials> {
  const principal = await principalFromHeaders(orm, headers);
  return { workspaceId: principal.workspaceId, principal: async () => principal };
}
