import { kernelFacts } from './app/kernel-facts.js';
import { type AppConfig, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { openAppQueue, openConfiguredDatabase } from './app/database.js';
import { createApp } from './app/http-app.js';
import { seedPluginDemoData } from './seed/plugin-demo.js';
import { seedDemoIfEmpty } from './seed/demo.js';
import { builtinPluginsDir, type LoadedPlugin, loadPlugins, PluginLoadError } from './plugin-host/load-plugins.js';
import { PluginInstallError, runInstallSteps } from './plugin-host/install-plugins.js';
import { startOutboxWorker } from './events/index.js';
import type { GraphQLSchema } from 'graphql';

export interface ServeOptions {
  /** Builds the schema to serve instead of the kernel's (the benchmark serves one without shield beside the real one). */
  schema?: () => Promise<GraphQLSchema>;
}

/** Migrates, seeds the demo workspace on an empty database, serves the API and drains on SIGTERM. */
export async function serve(options: ServeOptions = {}) {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);
  if (!config.ENCRYPTION_KEY)
    logger.warn(
      'ENCRYPTION_KEY is not set: secrets are encrypted under the public development key, which protects nothing (production refuses to start without ENCRYPTION_KEY)',
    );
  // PostgreSQL: DATABASE_URL's role migrates and provisions; the API then connects as a role row-level security applies to
  // installed plugins: built-in ones from plugins/*, third-party ones from PLUGINS; refused with a message naming each
  let plugins: LoadedPlugin[];
  try {
    plugins = await loadPlugins({ builtinDir: builtinPluginsDir(), extra: config.PLUGINS, kernel: kernelFacts() });
  } catch (error) {
    if (error instanceof PluginLoadError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const database = await openConfiguredDatabase(config, plugins);
  // first start with a plugin on this database: its onInstall (refused start-up, naming the plugin, when it fails)
  try {
    const installed = await runInstallSteps(
      database.owner,
      plugins.map((p) => p.manifest),
    );
    if (installed.length) logger.info({ installed }, 'installed plugins');
  } catch (error) {
    if (error instanceof PluginInstallError) {
      console.error(error.message);
      await database.close();
      process.exit(2);
    }
    throw error;
  }
  // the job queue (pg-boss installs or migrates its schema as the owner, before the owner's connection closes)
  const queue = await openAppQueue(database, config.DATABASE_URL, { poolMax: config.JOB_QUEUE_POOL, logger });
  await database.closeOwner();
  const { orm, applied } = database;
  logger.info({ applied, database: config.DATABASE_URL ? 'postgresql' : `pglite:${config.PGLITE_DIR}` }, 'database ready');
  if (config.SEED_DEMO) {
    const seeded = await seedDemoIfEmpty(orm);
    if (seeded) {
      logger.info(seeded, 'seeded the demo workspace (slug demo)');
      const withDemoData = await seedPluginDemoData(
        orm,
        plugins.map((p) => p.manifest),
      );
      if (withDemoData.length) logger.info({ plugins: withDemoData }, 'seeded the demo workspace’s plugin data');
    }
  }
  const app = await createApp({
    orm,
    config,
    logger,
    schema: options.schema ? await options.schema() : undefined,
    plugins: plugins.map((p) => p.manifest),
    queue,
  });
  await app.http.listen({ port: config.PORT, host: config.HOST });
  logger.info(`GraphQL API at http://localhost:${config.PORT}/graphql`);
  // delivers domain events to after subscribers (OUTBOX_WORKER=off: another process does)
  const outbox = startOutboxWorker(orm, logger, config);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      await app.close();
      await outbox?.stop();
      await queue.stop();
      await orm.close();
    } finally {
      clearTimeout(force);
      logger.info('stopped');
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

// run when started as the entry point (`node dist/src/server.js`), not when imported
if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) await serve();
