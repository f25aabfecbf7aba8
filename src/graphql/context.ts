import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';
import type { RequestSession } from '../db/request-session.js';
import type { AppConfig } from '../config.js';
import { createLoaders, type Loaders } from './loaders.js';
import { ErrorCode, graphqlError } from './errors.js';

import type { Principal } from '../permissions/principal.js';
export type { Principal };

export interface RequestContext {
  orm: Orm;
  config: AppConfig;
  logger: Logger;
  /** A fork of the entity manager for this request only, scoped to the caller's workspace. */
  em: SqlEntityManager;
  principal: Principal;
  /** The client's IP address (rate limits, audit of failed sign-ins). */
  ip: string;
  /** The request's database session (ended when the response is sent). */
  session: RequestSession;
  loaders: Loaders<RequestContext>;
}

export function createRequestContext(
  orm: Orm,
  config: AppConfig,
  logger: Logger,
  session: RequestSession,
  principal: Principal,
  ip = '',
): RequestContext {
  const ctx = { orm, config, logger, em: session.em, session, principal, ip } as RequestContext;
  ctx.loaders = createLoaders(ctx);
  return ctx;
}

/** The caller's workspace id, or an UNAUTHENTICATED error when the request names none. */
export function workspaceOf(ctx: RequestContext): string {
  if (!ctx.principal.workspaceId) {
    throw graphqlError(ErrorCode.UNAUTHENTICATED, 'Sign in first: send `Authorization: Bearer <access token or API key>`.');
  }
  return ctx.principal.workspaceId;
}

/** The same caller on another entity manager (a transaction), with loaders of its own. */
export function withEntityManager(ctx: RequestContext, em: SqlEntityManager): RequestContext {
  const scoped = { ...ctx, em } as RequestContext;
  scoped.loaders = createLoaders(scoped);
  return scoped;
}
