import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import type { Orm } from '../db/orm.js';
import { createRequestContext, type RequestContext } from '../graphql/context.js';
import { ErrorCode } from '../graphql/errors.js';
import { InputRejected } from '../graphql/errors.js';
import { buildAppSchema } from '../graphql/schema.js';
import { readCredentials } from './credentials.js';
import { endSessionWithResponse, openRequestSession } from '../db/request-session.js';
import { registerImportExportRoutes } from '../core/import-export/import-export.routes.js';
import { graphqlHardening } from './hardening/index.js';

export interface App {
  http: FastifyInstance;
  schema: GraphQLSchema;
  close(): Promise<void>;
}

export interface AppOptions {
  orm: Orm;
  config: AppConfig;
  logger: Logger;
  /** The GraphQL schema to serve; the kernel's shielded schema when omitted (the benchmark passes one without shield). */
  schema?: GraphQLSchema;
}

/** The HTTP host: GraphQL at /graphql, health probes, CSV import/export routes. */
export async function createApp({ orm, config, logger, schema: given }: AppOptions): Promise<App> {
  const schema = given ?? (await buildAppSchema());
  const http: FastifyInstance = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY });
  const production = config.NODE_ENV === 'production';
  // armor limits, CSRF prevention, no introspection/suggestions in production, rate limits (src/http/hardening)
  const hardening = graphqlHardening(config);
  const apollo = new ApolloServer<RequestContext>({
    schema,
    ...hardening.options,
    formatError: (formatted, error) => formatError(formatted, error, logger),
    plugins: [
      fastifyApolloDrainPlugin(http),
      ...hardening.plugins,
      // per-field cache hints are not used; the default plugin would wrap every field resolver
      ApolloServerPluginCacheControlDisabled(),
      {
        async requestDidStart() {
          return {
            async willSendResponse({ contextValue, response }) {
              const single = response.body.kind === 'single' ? response.body.singleResult : null;
              await contextValue.session?.end(single && !single.data && single.errors?.length ? single.errors : undefined);
            },
          };
        },
      },
      production ? ApolloServerPluginLandingPageProductionDefault() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
  });
  await apollo.start();

  await http.register(fastifyApollo<RequestContext>(apollo), {
    path: '/graphql',
    context: async (request, reply) => {
      const credentials = await readCredentials(orm, config, request.headers);
      const session = await openRequestSession(orm, credentials.workspaceId, { userId: credentials.userId ?? null });
      // normally ended in willSendResponse; this only rolls back one that a failed request left open
      endSessionWithResponse(reply.raw, session);
      try {
        return createRequestContext(orm, config, request.log as unknown as Logger, session, await credentials.principal(session.em), request.ip);
      } catch (error) {
        await session.end(error);
        throw error;
      }
    },
  });

  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_request, reply) => {
    try {
      await orm.em.getConnection().execute('select 1');
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  registerImportExportRoutes(http, { orm, config, logger });

  return {
    http,
    schema,
    async close() {
      await http.close();
    },
  };
}

/** Every error leaves with a code; unexpected ones are logged and masked (no stack, no SQL). */
function formatError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  if (original instanceof InputRejected) {
    const first = original.errors[0]!;
    return { ...formatted, message: original.message, extensions: { code: first.code, field: first.field, userErrors: original.errors } };
  }
  const code = formatted.extensions?.code as string | undefined;
  if (code && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  logger.error({ err: original ?? error }, 'unexpected error while resolving a GraphQL operation');
  return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}
