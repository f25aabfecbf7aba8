import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';
import type { AppConfig } from '../config.js';
import { createLoaders, type Loaders } from './loaders.js';
import { ErrorCode, graphqlError } from './errors.js';

/** Who is calling and where. Until the identity module lands, the caller names the workspace and user in headers. */
export interface Principal {
  workspaceId: string | null;
  userId: string | null;
}

export interface RequestContext {
  orm: Orm;
  config: AppConfig;
  logger: Logger;
  /** A fork of the entity manager for this request only, scoped to the caller's workspace. */
  em: SqlEntityManager;
  principal: Principal;
  loaders: Loaders;
}

export function createRequestContext(orm: Orm, config: AppConfig, logger: Logger, principal: Principal): RequestContext {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  if (principal.workspaceId) em.setFilterParams('tenant', { workspaceId: principal.workspaceId });
  const ctx = { orm, config, logger, em, principal } as RequestContext;
  ctx.loaders = createLoaders(ctx);
  return ctx;
}

/** The caller's workspace id, or an UNAUTHENTICATED error when the request names none. */
export function workspaceOf(ctx: RequestContext): string {
  if (!ctx.principal.workspaceId) {
    throw graphqlError(ErrorCode.UNAUTHENTICATED, 'This operation needs a workspace: send the X-Workspace header (workspace slug or id).');
  }
  return ctx.principal.workspaceId;
}

/** The same caller on another entity manager (a transaction), with loaders of its own. */
export function withEntityManager(ctx: RequestContext, em: SqlEntityManager): RequestContext {
  const scoped = { ...ctx, em } as RequestContext;
  scoped.loaders = createLoaders(scoped);
  return scoped;
}
