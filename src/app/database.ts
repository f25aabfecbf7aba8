import type { MigrationObject } from '@mikro-orm/core';
import type { AppConfig } from '../config.js';
import type { LoadedPlugin } from '../plugin-host/load-plugins.js';
import { allMigrations, pluginEntities } from '../plugin-host/plugin-migrations.js';
import { ormOptions, openDatabase, type DatabaseTarget, type Orm } from '../db/orm.js';
import { openServingDatabase, type ServingDatabase, type ServingTarget } from '../db/serving-database.js';
import { kernelMigrations } from '../../migrations/index.js';
import { AuditSubscriber } from '../core/audit/audit.subscriber.js';
import { DomainEventSubscriber } from '../events/domain-events.subscriber.js';
import { ConsentSubscriber } from '../core/consent/consent.subscriber.js';
import { kernelEntities } from './kernel-entities.js';
import { JobQueue, type JobQueueOptions } from '../queue/job-queue.js';

/** A database of this app: the kernel's entities, subscribers and migrations, plus installed plugins'. */
export interface AppDatabaseTarget extends Omit<ServingTarget, keyof Pick<DatabaseTarget, 'entities' | 'subscribers' | 'migrations'>> {
  /** Installed plugins' entities (src/plugin-host/plugin-migrations.ts, `pluginEntities`). */
  pluginEntities?: Function[];
  /** The migrations to apply: the kernel's, then installed plugins' (`allMigrations`); default the kernel's. */
  migrations?: MigrationObject[];
}

function withKernel({ pluginEntities, migrations, ...target }: AppDatabaseTarget): ServingTarget {
  return {
    ...target,
    entities: [...kernelEntities, ...(pluginEntities ?? [])],
    subscribers: [new AuditSubscriber(), new DomainEventSubscriber(), new ConsentSubscriber()],
    migrations: migrations ?? kernelMigrations,
  };
}

export const appOrmOptions = (target: AppDatabaseTarget) => ormOptions(withKernel(target));

/** Opens the app's ORM on one connection target, unmigrated (tests of crashes and second processes). */
export const openAppOrm = (target: AppDatabaseTarget): Promise<Orm> => openDatabase(withKernel(target));

/** Opens the app's database for serving: migrated, and on PostgreSQL behind the row-level-security role. */
export const openAppDatabase = (target: AppDatabaseTarget): Promise<ServingDatabase> => openServingDatabase(withKernel(target));

/** The configured database with the installed plugins' entities and migrations (the server and `npm run migrate`). */
export const openConfiguredDatabase = (config: AppConfig, plugins: LoadedPlugin[]): Promise<ServingDatabase> =>
  openAppDatabase({
    pluginEntities: pluginEntities(plugins),
    migrations: allMigrations(plugins),
    url: config.DATABASE_URL,
    pgliteDir: config.DATABASE_URL ? undefined : config.PGLITE_DIR,
    appUrl: config.APP_DATABASE_URL,
    appPassword: config.APP_DATABASE_PASSWORD,
  });

/**
 * The job queue over the serving database: pg-boss as the owner (its own small pool on PostgreSQL; the one PGlite
 * instance otherwise), with the API's role granted its tables so a write enqueues in its own transaction.
 */
export async function openAppQueue(
  database: Pick<ServingDatabase, 'orm' | 'owner'>,
  url: string | undefined,
  options: Omit<JobQueueOptions, 'owner' | 'url' | 'appRole'> = {},
): Promise<JobQueue> {
  const separateRole = database.orm !== database.owner;
  const appRole = separateRole
    ? String((await database.orm.em.fork().getConnection().execute<{ role: string }[]>('select current_user as role'))[0]?.role)
    : undefined;
  return JobQueue.open({ owner: database.owner, url, appRole, ...options });
}
