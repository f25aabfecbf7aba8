import { Readable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type HTTPGraphQLRequest } from '@apollo/server';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import type { Orm } from '../db/orm.js';
import { createRequestContext, type RequestContext } from '../graphql/context.js';
import { ErrorCode } from '../graphql/errors.js';
import { InputRejected } from '../graphql/errors.js';
import { SchemaCache } from './schema-cache.js';
import { disabledModuleOf, mayBeModuleError } from '../graphql/module-disabled.js';
import type { ContributionIndex } from '../graphql/schema-diff.js';
import { readCredentials, type Credentials } from '../http/credentials.js';
import { type AppJobs, attachPluginJobs, detachPluginJobs } from '../plugin-host/jobs/jobs-slot.js';
import { PluginJobs } from '../plugin-host/jobs/plugin-jobs.js';
import { startWebhookJobs } from './webhook-jobs.js';
import { startAutomationJobs } from './automation-jobs.js';
import { startEmailJobs } from './email-jobs.js';
import { attachEmailSettings } from '../core/email/settings.js';
import { startNotificationJobs } from './notification-jobs.js';
import { notificationMailer } from '../core/notifications/notification-mail.js';
import { attachNotificationTypes } from '../core/notifications/notification-types.js';
import type { JobQueue } from '../queue/job-queue.js';
import { attachAppRegistries, buildAppRegistries, detachAppRegistries, registerPluginPermissions } from '../plugin-host/app-registries.js';
import { effectiveSettings } from '../plugin-host/modules/modules.service.js';
import { ModuleHost, attachModuleHost } from '../plugin-host/modules/module-host.js';
import type { PluginManifest } from '../plugin-host/manifest.js';
import { endSessionWithResponse, openRequestSession } from '../db/request-session.js';
import { registerImportExportRoutes } from '../http/import-export.routes.js';
import { registerInboundHookRoutes } from '../http/inbound-hooks.routes.js';
import { registerPrivacyRoutes } from '../http/privacy.routes.js';
import { registerPluginRoutes } from '../http/plugin-routes.js';
import { attachApiPublicUrl } from '../http/public-url.js';
import { graphqlHardening } from '../http/hardening/index.js';
import { attachWebhookSettings, webhookSettingsFrom } from '../core/webhooks/settings.js';
import { attachKeyring, keyringFrom } from '../core/encryption/index.js';
import { registerGraphqlWebSocket } from '../http/websocket.js';

export interface App {
  http: FastifyInstance;
  /** The kernel-only schema (anonymous callers and workspaces without enabled plugins). */
  schema: GraphQLSchema;
  /** The installed plugins and each workspace's enabled set. */
  modules: ModuleHost;
  /** The schema (and its Apollo server) per distinct enabled set. */
  schemas: SchemaCache<ApolloServer<RequestContext>>;
  /** Plugins' jobs on the job queue (undefined without a queue). */
  jobs: AppJobs | undefined;
  close(): Promise<void>;
}

export interface AppOptions {
  orm: Orm;
  config: AppConfig;
  logger: Logger;
  /** The GraphQL schema to serve; the kernel's shielded schema when omitted (the benchmark passes one without shield). */
  schema?: GraphQLSchema;
  /** Installed plugins, validated and in dependency order (src/plugin-host/load-plugins.ts); each workspace enables its own. */
  plugins?: PluginManifest[];
  /** How long the enabled set of a workspace is cached in this process (default 1 s). */
  enabledSetTtlMs?: number;
  /** The job queue (src/app/database.ts `openAppQueue`): plugins' jobs are scheduled on it, and run here when `JOB_RUNNER` is on. */
  queue?: JobQueue;
  /**
   * Whether this app works the webhook jobs (attempts, sweep, auto-disable) when JOB_RUNNER is on (default true).
   * Tests that share a database with other files' apps turn it off unless they test webhooks: the sweep and the
   * auto-disable look at every workspace's deliveries, with this app's clock and settings.
   */
  workWebhooks?: boolean;
  /** Likewise for the automation jobs (runs, time triggers, sweep; default true): the time triggers look at every workspace's rules. */
  workAutomation?: boolean;
  /**
   * Whether this app, working the webhook jobs, first queues the deliveries a stopped process left (default true).
   * Tests sharing a database turn it off: it would pick up every file's due deliveries.
   */
  recoverWebhooks?: boolean;
  /** Whether this app delivers queued email when JOB_RUNNER is on (default true); tests of other areas turn it off. */
  workEmail?: boolean;
  /**
   * Whether this app works the notification jobs (emails, due tasks, stale contacts, digests) when JOB_RUNNER is on
   * (default true). Like `workWebhooks`: the schedules look at every workspace.
   */
  workNotifications?: boolean;
}

/**
 * The HTTP host: GraphQL at /graphql, health probes, CSV import/export routes, plugins' public routes.
 *
 * GraphQL is served per workspace: the caller's credentials name the workspace before any database read, its enabled
 * plugins pick the schema (kernel + those plugins, built once per distinct set, src/graphql/schema-cache.ts), and the
 * request runs on that schema's ApolloServer (Apollo has no per-request schema). Anonymous callers get the kernel.
 */
export async function createApp({
  orm,
  config,
  logger,
  schema: given,
  plugins = [],
  enabledSetTtlMs,
  queue,
  workWebhooks = true,
  workAutomation = true,
  recoverWebhooks = true,
  workEmail = true,
  workNotifications = true,
}: AppOptions): Promise<App> {
  const http: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    // inbound integration tokens travel in the path (`/hooks/in/<token>`, ~150 characters)
    maxParamLength: 256,
  });
  const production = config.NODE_ENV === 'production';
  // armor limits, CSRF prevention, no introspection/suggestions in production, rate limits (src/http/hardening);
  // made once: every schema's server shares the same plugins (one rate-limit state per process)
  const hardening = graphqlHardening(config);
  const serverPlugins: ApolloServerPlugin<RequestContext>[] = [
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
  ];
  // a validation error about a field or type of an installed plugin that the schema's enabled set lacks: MODULE_DISABLED
  // with the plugin id, not GRAPHQL_VALIDATION_FAILED (a misspelled field stays what it was; HTTP status stays 400)
  const moduleErrors = (enabled: ReadonlySet<string>): ApolloServerPlugin<RequestContext> => ({
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          const candidates = errors.filter((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && mayBeModuleError(e.message));
          if (!candidates.length || !plugins.length) return;
          let index: ContributionIndex;
          try {
            index = await schemas.contributions();
          } catch (error) {
            logger.error({ err: error }, 'could not index the plugins’ schema contributions');
            return;
          }
          for (const error of candidates) {
            const found = disabledModuleOf(error.message, enabled, index, describeModule);
            if (!found) continue;
            error.message = found.message;
            Object.assign(error.extensions, { code: ErrorCode.MODULE_DISABLED, module: found.module });
          }
        },
      };
    },
  });
  const serve = async (schema: GraphQLSchema, key: string) => {
    const apollo = new ApolloServer<RequestContext>({
      schema,
      ...hardening.options,
      formatError: (formatted, error) => formatError(formatted, error, logger),
      plugins: [...serverPlugins, moduleErrors(new Set(key ? key.split(',') : []))],
      // the app stops every server when its HTTP server closes (server.ts drains on SIGTERM)
      stopOnTerminationSignals: false,
    });
    await apollo.start();
    return apollo;
  };
  const modules = new ModuleHost(plugins, orm, enabledSetTtlMs);
  const describeModule = (id: string) => `${modules.plugin(id)?.name ?? id} (${id})`;
  // this app's plugins' hooks, subscribers, node types…, reachable from every entity manager of `orm`
  registerPluginPermissions(plugins);
  const built = buildAppRegistries(plugins);
  const registries = attachAppRegistries(orm, built);
  // how this app sends webhooks (WEBHOOK_ALLOWED_HOSTS, WEBHOOK_TIMEOUT_MS…), for the queue's attempts on `orm` too
  attachWebhookSettings(orm, webhookSettingsFrom(config));
  // the keys secrets are encrypted under at rest (ENCRYPTION_KEY; a ConfigError in production without one)
  attachKeyring(orm, keyringFrom(config));
  attachEmailSettings(orm, { mail: config, logger });
  // the base of plugins' public links (pluginRouteUrl)
  attachApiPublicUrl(orm, config.API_PUBLIC_URL);
  // the notification types the installed plugins declare (their manifests' `notificationTypes`)
  attachNotificationTypes(
    orm,
    plugins.map((p) => ({ plugin: p.id, types: p.notificationTypes ?? [] })),
  );
  // hooks and outbox deliveries of a plugin run only where it is enabled (apps sharing an ORM share the first's check)
  if (plugins.length && registries === built) {
    registries.events.setPluginEnabledCheck(async (workspaceId, pluginId) => (await modules.enabledIds(workspaceId)).includes(pluginId));
    registries.events.setPluginSettingsReader(async (em, workspaceId, pluginId) => {
      const plugin = modules.plugin(pluginId);
      return plugin ? effectiveSettings(plugin, (await modules.readRows(em, workspaceId)).get(pluginId)?.settings) : {};
    });
  }
  const schemas = new SchemaCache(plugins, { kernelSchema: given, serve });
  const kernel = await schemas.get([]);

  const graphqlRoute = async (request: FastifyRequest, reply: FastifyReply) => {
    // the workspace comes from the credentials before any database read; failures surface from the context function
    // below, as they always did (CSRF and landing-page handling run first)
    let credentials: Credentials | undefined;
    let failure: unknown;
    let apollo = kernel.served;
    try {
      credentials = await readCredentials(orm, config, request.headers);
      if (credentials.workspaceId) apollo = (await schemas.get(await modules.enabledIds(credentials.workspaceId))).served;
    } catch (error) {
      failure = error;
    }
    const context = async (): Promise<RequestContext> => {
      if (!credentials || failure) throw failure;
      const session = await openRequestSession(orm, credentials.workspaceId, { userId: credentials.userId ?? null });
      // normally ended in willSendResponse; this only rolls back one that a failed request left open
      endSessionWithResponse(reply.raw, session);
      try {
        const ctx = createRequestContext(
          orm,
          config,
          request.log as unknown as Logger,
          session,
          await credentials.principal(session.em),
          request.ip,
        );
        return attachModuleHost(ctx, modules);
      } catch (error) {
        await session.end(error);
        throw error;
      }
    };
    const { headers, body, status } = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: toHTTPGraphQLRequest(request),
      context,
    });
    for (const [key, value] of headers) void reply.header(key, value);
    void reply.code(status ?? 200);
    if (body.kind === 'complete') return body.string;
    return reply.send(Readable.from(body.asyncIterator));
  };
  http.route({ method: ['GET', 'POST', 'OPTIONS'], url: '/graphql', handler: graphqlRoute });
  http.addHook('onClose', async () => {
    for (const entry of await schemas.entries()) await entry.served.stop();
    detachAppRegistries(orm);
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
  // plugins' jobs on the queue: schedules written, and run by this process unless JOB_RUNNER=off
  const ownJobs = queue ? new PluginJobs(queue, orm, modules, logger) : undefined;
  const jobs = ownJobs ? attachPluginJobs(orm, ownJobs) : undefined;
  if (ownJobs && jobs === ownJobs) {
    await ownJobs.start({ work: config.JOB_RUNNER });
    await startWebhookJobs(queue!, orm, { work: config.JOB_RUNNER && workWebhooks, recover: recoverWebhooks });
    await startAutomationJobs(queue!, orm, config, { work: config.JOB_RUNNER && workAutomation });
    await startEmailJobs(queue!, orm, { work: config.JOB_RUNNER && workEmail });
    await startNotificationJobs(queue!, orm, { work: config.JOB_RUNNER && workNotifications, mail: notificationMailer(config, logger) });
  }
  registerImportExportRoutes(http, { orm, config, logger });
  registerInboundHookRoutes(http, { orm, logger });
  registerPrivacyRoutes(http, { orm, config, logger });
  // plugins' public routes (manifest `httpRoutes`) at /plugins/<id>/…
  registerPluginRoutes(http, { orm, modules, logger, now: () => (queue ? queue.now() : new Date()) });
  // GraphQL subscriptions (graphql-ws) at /graphql/ws, on the workspace's schema
  await registerGraphqlWebSocket(http, { orm, config, logger, modules, schemas });

  return {
    http,
    schema: kernel.schema,
    modules,
    schemas,
    jobs,
    async close() {
      await http.close();
      if (ownJobs && jobs === ownJobs) detachPluginJobs(orm);
    },
  };
}

/** The request as Apollo sees it (as @as-integrations/fastify builds it: parsed body, method, headers, query string). */
function toHTTPGraphQLRequest(request: FastifyRequest): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return {
    body: request.body,
    method: request.method.toUpperCase(),
    headers,
    search: new URL(request.url, `${request.protocol}://${request.hostname}/`).search,
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
  return {
    message: 'Internal server error',
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
