import type { FastifyInstance } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { makeHandler } from 'graphql-ws/use/@fastify/websocket';
import { type DocumentNode, GraphQLError, type GraphQLSchema, getOperationAST, parse, specifiedRules, validate } from 'graphql';
import { armorOptions } from './hardening/armor.js';
import { ErrorCode } from '../graphql/errors.js';
import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import type { Orm } from '../db/orm.js';
import type { Principal } from '../permissions/principal.js';
import type { RequestContext } from '../graphql/context.js';
import { createLoaders } from '../graphql/loaders.js';
import type { ContributionIndex } from '../graphql/schema-diff.js';
import { mayBeModuleError, withModuleErrors } from '../graphql/module-disabled.js';
import type { ModuleHost } from '../plugin-host/modules/module-host.js';
import { openRequestSession } from '../db/request-session.js';
import { readCredentials } from './credentials.js';

export const GRAPHQL_WS_PATH = '/graphql/ws';

export interface GraphqlWebSocketOptions {
  orm: Orm;
  config: AppConfig;
  logger: Logger;
  modules: ModuleHost;
  /** The app's schemas per enabled set (its `SchemaCache`). */
  schemas: { get(enabledIds: readonly string[]): Promise<{ schema: GraphQLSchema }>; contributions(): Promise<ContributionIndex> };
}

/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) at `/graphql/ws`.
 *
 * - Authentication: `connectionParams.authorization` = `Bearer <access token or API key>`, read like the HTTP header
 *   (readCredentials); the principal is loaded in a short session scoped to its workspace when the connection opens
 *   and again for every new subscription, so a revoked key, ended session or changed role applies to the next
 *   subscription (a running one keeps the access it started with). Missing, invalid or anonymous at connection: refused
 *   (close code 4403 Forbidden); no longer valid at a later subscribe: that subscription fails with UNAUTHENTICATED.
 * - Schema: the workspace's (kernel + its enabled plugins, from the schema cache, with shield), looked up per
 *   operation.
 * - The HTTP route's operation limits: graphql-js' token limit at parse and graphql-armor's depth / aliases /
 *   directives / cost rules at validation (the same configuration), refusals with `extensions.limit`.
 * - Validation errors about a field or type of an installed plugin the workspace has not enabled: MODULE_DISABLED with
 *   `extensions.module`, as on the HTTP route (src/graphql/module-disabled.ts).
 * - Only subscription operations: queries and mutations go to `POST /graphql` (its sessions and transactions are
 *   not replicated here).
 * - Subscription resolvers get a context without a request-long transaction (`em` is a plain fork): they read the
 *   database in their own short tenant-scoped transactions (withWorkspace), as `Subscription.events` does.
 */
export async function registerGraphqlWebSocket(
  http: FastifyInstance,
  { orm, config, logger, modules, schemas }: GraphqlWebSocketOptions,
): Promise<void> {
  await http.register(fastifyWebsocket);
  const armor = armorOptions(config);
  const rules = [...specifiedRules, ...armor.validationRules];

  /** The caller's principal now, or null when the credentials no longer admit a signed-in member or key. */
  const principalOf = async (authorization: unknown): Promise<Principal | null> => {
    if (typeof authorization !== 'string') return null;
    const credentials = await readCredentials(orm, config, { authorization });
    if (!credentials.workspaceId) return null;
    const session = await openRequestSession(orm, credentials.workspaceId, { userId: credentials.userId ?? null });
    let principal: Principal;
    try {
      principal = await credentials.principal(session.em);
      await session.end();
    } catch (error) {
      await session.end(error);
      throw error;
    }
    return principal.kind === 'anonymous' || !principal.workspaceId ? null : principal;
  };

  const contextFor = (principal: Principal, ip: string): RequestContext => {
    const em = orm.em.fork({ clear: true, useContext: false });
    const context = { orm, config, logger, em, principal, ip, session: { em, end: async () => {} } } as unknown as RequestContext;
    context.loaders = createLoaders(context);
    return context;
  };

  const handler = makeHandler<Record<string, unknown> | undefined>({
    isProd: config.NODE_ENV === 'production',
    onConnect: async (ctx) => {
      try {
        return (await principalOf(ctx.connectionParams?.authorization)) !== null;
      } catch (error) {
        logger.debug({ err: error }, 'graphql-ws connection refused');
        return false;
      }
    },
    onSubscribe: async (ctx, _id, payload) => {
      let document: DocumentNode;
      try {
        document = parse(payload.query, armor.parseOptions);
      } catch (error) {
        const limit = error instanceof GraphQLError && /tokens/.test(error.message);
        return [
          new GraphQLError(limit ? `Token limit of ${config.GRAPHQL_MAX_TOKENS} exceeded.` : (error as Error).message, {
            extensions: limit ? { code: ErrorCode.BAD_USER_INPUT, limit: 'maxTokens' } : { code: 'GRAPHQL_PARSE_FAILED' },
          }),
        ];
      }
      const operation = getOperationAST(document, payload.operationName);
      if (operation && operation.operation !== 'subscription') {
        return [new GraphQLError('Only subscriptions are served over WebSocket: send queries and mutations to POST /graphql.')];
      }
      const principal = await principalOf(ctx.connectionParams?.authorization).catch(() => null);
      if (!principal)
        return [
          new GraphQLError('The connection’s credentials are no longer valid: reconnect with a fresh token.', {
            extensions: { code: ErrorCode.UNAUTHENTICATED },
          }),
        ];
      const enabledIds = await modules.enabledIds(principal.workspaceId);
      const schema = (await schemas.get(enabledIds)).schema;
      const errors = validate(schema, document, rules);
      // as on POST /graphql: a disabled module's field or type is MODULE_DISABLED with the plugin id, not a typo
      if (errors.length && errors.some((e) => mayBeModuleError(e.message))) {
        return withModuleErrors(
          errors,
          new Set(enabledIds),
          await schemas.contributions(),
          (id) => `${modules.plugin(id)?.name ?? id} (${id})`,
        );
      }
      if (errors.length) return errors;
      // graphql-ws executes exactly these arguments (no `schema` / `context` server options needed)
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: contextFor(principal, ctx.extra.request.ip) as never,
      };
    },
  });
  http.get(GRAPHQL_WS_PATH, { websocket: true }, handler);
}
