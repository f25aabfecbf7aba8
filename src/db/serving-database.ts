import { appRoleUrl, assertAppRole, provisionAppRole } from './rls/app-role.js';
import { migrate, openDatabase, type DatabaseTarget, type Orm } from './orm.js';

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
