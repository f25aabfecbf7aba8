import type { FastifyInstance } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { makeHandler } from 'graphql-ws/use/@fastify/websocket';
import { GraphQLError, getOperationAST, parse } from 'graphql';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import type { Orm } from '../../db/orm.js';
import type { Principal } from '../../core/permissions/principal.js';
import type { RequestContext } from '../../graphql/context.js';
import { createLoaders } from '../../graphql/loaders.js';
import type { SchemaCache } from '../../graphql/schema-cache.js';
import type { ModuleHost } from '../../kernel/modules/module-host.js';
import { openRequestSession } from '../../db/request-session.js';
import { readCredentials } from '../../http/credentials.js';

export const GRAPHQL_WS_PATH = '/graphql/ws';

export interface GraphqlWebSocketOptions {
  orm: Orm;
  config: AppConfig;
  logger: Logger;
  modules: ModuleHost;
  schemas: SchemaCache<unknown>;
}

/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) at `/graphql/ws`.
 *
 * - Authentication: `connectionParams.authorization` = `Bearer <access token or API key>`, read like the HTTP header
 *   (readCredentials) and the principal loaded in a short session scoped to its workspace, once per connection (a
 *   role or key changed later applies to the next connection). Missing, invalid or anonymous: the connection is
 *   refused (close code 4403 Forbidden).
 * - Schema: the workspace's (kernel + its enabled plugins, from the schema cache, with shield), looked up per
 *   operation.
 * - Only subscription operations: queries and mutations go to `POST /graphql` (its hardening, sessions and
 *   transactions are not replicated here).
 * - Subscription resolvers get a context without a request-long transaction (`em` is a plain fork): they read the
 *   database in their own short tenant-scoped transactions (withWorkspace), as `Subscription.events` does.
 */
export async function registerGraphqlWebSocket(http: FastifyInstance, { orm, config, logger, modules, schemas }: GraphqlWebSocketOptions): Promise<void> {
  await http.register(fastifyWebsocket);
  const handler = makeHandler<Record<string, unknown> | undefined, { principal: Principal }>({
    isProd: config.NODE_ENV === 'production',
    onConnect: async (ctx) => {
      const authorization = ctx.connectionParams?.authorization;
      if (typeof authorization !== 'string') return false;
      try {
        const credentials = await readCredentials(orm, config, { authorization });
        if (!credentials.workspaceId) return false;
        const session = await openRequestSession(orm, credentials.workspaceId, { userId: credentials.userId ?? null });
        let principal: Principal;
        try {
          principal = await credentials.principal(session.em);
          await session.end();
        } catch (error) {
          await session.end(error);
          throw error;
        }
        if (principal.kind === 'anonymous' || !principal.workspaceId) return false;
        ctx.extra.principal = principal;
        return true;
      } catch (error) {
        logger.debug({ err: error }, 'graphql-ws connection refused');
        return false;
      }
    },
    onSubscribe: (_ctx, _id, payload) => {
      let operation;
      try {
        operation = getOperationAST(parse(payload.query), payload.operationName);
      } catch {
        return; // graphql-ws reports the syntax error
      }
      if (operation && operation.operation !== 'subscription') {
        return [new GraphQLError('Only subscriptions are served over WebSocket: send queries and mutations to POST /graphql.')];
      }
    },
    schema: async (ctx) => (await schemas.get(await modules.enabledIds(ctx.extra.principal!.workspaceId))).schema,
    context: (ctx) => {
      const em = orm.em.fork({ clear: true, useContext: false });
      const context = {
        orm,
        config,
        logger,
        em,
        principal: ctx.extra.principal!,
        ip: ctx.extra.request.ip,
        session: { em, end: async () => {} },
      } as unknown as RequestContext;
      context.loaders = createLoaders(context);
      return context as unknown as Record<string, unknown>;
    },
  });
  http.get(GRAPHQL_WS_PATH, { websocket: true }, handler);
}
