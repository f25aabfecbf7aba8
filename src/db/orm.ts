import type { MigrationObject } from '@mikro-orm/core';
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { MikroORM, type Options } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { PgliteDriver } from '@mikro-orm/pglite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { kernelEntities } from '../core/entities.js';
import { kernelMigrations } from '../../migrations/index.js';
import { AuditSubscriber } from '../core/audit/audit.subscriber.js';
import { DomainEventSubscriber } from '../events/domain-events.subscriber.js';
import { appRoleUrl, assertAppRole, provisionAppRole } from './rls/app-role.js';

export type Orm = MikroORM;
export type EntityManager = SqlEntityManager;

export interface DatabaseTarget {
  /** A postgres:// URL; without one an embedded PGlite database is used. */
  url?: string;
  /** PGlite data folder; omitted = in memory. */
  pgliteDir?: string;
  debug?: boolean;
  poolMax?: number;
  /** Entities registered besides the kernel's: installed plugins' (src/plugin-host/plugin-migrations.ts, `pluginEntities`). */
  extraEntities?: Function[];
  /** The migrations to apply: the kernel's, then installed plugins' (`allMigrations`); default the kernel's. */
  migrations?: MigrationObject[];
}

export function ormOptions(target: DatabaseTarget): Options {
  const common: Partial<Options> = {
    entities: [...kernelEntities, ...(target.extraEntities ?? [])],
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    subscribers: [new AuditSubscriber(), new DomainEventSubscriber()],
    migrations: { migrationsList: target.migrations ?? kernelMigrations, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    debug: target.debug ?? false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    // the row-level-security policies are hand-written (migrations/…RowLevelSecurity.ts): the schema diff must not
    // drop them (their helper functions live in schema crm_rls, which the diff does not manage)
    schemaGenerator: { ignorePolicies: true },
  };
  if (target.url) {
    return { ...common, driver: PostgreSqlDriver, clientUrl: target.url, pool: { min: 0, max: target.poolMax ?? 10 } } as Options;
  }
  if (target.pgliteDir) mkdirSync(target.pgliteDir, { recursive: true });
  return {
    ...common,
    driver: PgliteDriver,
    dbName: target.pgliteDir ?? 'memory://',
    driverOptions: { extensions: { pg_trgm, unaccent } },
  } as Options;
}

export async function openDatabase(target: DatabaseTarget): Promise<Orm> {
  return MikroORM.init(ormOptions(target));
}

/** Applies pending kernel migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export interface ServingTarget extends DatabaseTarget {
  /** The API's own connection (a role that owns nothing, without superuser/BYPASSRLS); `url` is then only the owner's. */
  appUrl?: string;
  /** Password given to the provisioned `crm_app` role when `appUrl` is not set. */
  appPassword?: string;
  /** Pool size of the owner's connection kept open (default 2). */
  ownerPoolMax?: number;
}

export interface ServingDatabase {
  /** What the API serves with. On PostgreSQL: the application role, subject to row-level security. */
  orm: Orm;
  /** The owner (migrations, provisioning). On PGlite the same ORM as `orm`. */
  owner: Orm;
  /** Migrations applied by this start. */
  applied: string[];
  /** Closes the owner's connection when it is a separate one (the app keeps serving). */
  closeOwner(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the database for serving. PGlite: one ORM, migrated. PostgreSQL: the owner (DATABASE_URL) migrates and
 * provisions the application role under an advisory lock (parallel starts and test workers), then the API
 * connects as that role (APP_DATABASE_URL, or crm_app on DATABASE_URL's server and database), checked to be one
 * that row-level security applies to.
 */
export async function openServingDatabase(target: ServingTarget): Promise<ServingDatabase> {
  if (!target.url) {
    const orm = await openDatabase(target);
    const applied = await migrate(orm);
    return { orm, owner: orm, applied, closeOwner: async () => undefined, close: () => orm.close(true) };
  }
  const owner = await openDatabase({ ...target, poolMax: target.ownerPoolMax ?? 2 });
  let applied: string[];
  try {
    applied = await withSessionLock(owner, MIGRATION_LOCK, async () => {
      const names = await migrate(owner);
      if (!target.appUrl) await provisionAppRole(owner, { password: target.appPassword ?? null });
      return names;
    });
  } catch (error) {
    await owner.close(true);
    throw error;
  }
  const orm = await openDatabase({ ...target, url: target.appUrl ?? appRoleUrl(target.url, undefined, target.appPassword) });
  try {
    await assertAppRole(orm);
  } catch (error) {
    await Promise.all([orm.close(true), owner.close(true)]);
    throw error;
  }
  let ownerOpen = true;
  const closeOwner = async () => {
    if (ownerOpen) await owner.close(true);
    ownerOpen = false;
  };
  return { orm, owner, applied, closeOwner, close: async () => void (await Promise.all([orm.close(true), closeOwner()])) };
}

const MIGRATION_LOCK = 4242;

/** Holds an advisory lock (in a transaction pinned to one pooled connection) while `work` runs on other connections. */
async function withSessionLock<T>(orm: Orm, key: number, work: () => Promise<T>): Promise<T> {
  const conn = orm.em.getConnection();
  const trx = await conn.begin();
  try {
    await conn.execute('select pg_advisory_xact_lock(?)', [key], 'all', trx);
    return await work();
  } finally {
    await conn.rollback(trx);
  }
}

export function isPglite(orm: Orm): boolean {
  return orm.config.get('driver') === PgliteDriver;
}
