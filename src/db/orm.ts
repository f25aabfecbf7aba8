import type { EventSubscriber, MigrationObject } from '@mikro-orm/core';
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

export type Orm = MikroORM;
export type EntityManager = SqlEntityManager;

export interface DatabaseTarget {
  /** A postgres:// URL; without one an embedded PGlite database is used. */
  url?: string;
  /** PGlite data folder; omitted = in memory. */
  pgliteDir?: string;
  debug?: boolean;
  poolMax?: number;
  /** Every entity the ORM maps (the app passes the kernel's plus installed plugins'). */
  entities: Function[];
  /** ORM event subscribers (the app's audit and domain-event subscribers). */
  subscribers?: EventSubscriber[];
  /** The migrations `migrate` applies, in order. */
  migrations: MigrationObject[];
}

export function ormOptions(target: DatabaseTarget): Options {
  const common: Partial<Options> = {
    entities: target.entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    subscribers: target.subscribers ?? [],
    migrations: { migrationsList: target.migrations, transactional: true, allOrNothing: true, snapshot: false, silent: true },
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

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export function isPglite(orm: Orm): boolean {
  return orm.config.get('driver') === PgliteDriver;
}
